"""What the analyzer knows about each language: its stop words, its negation words, and the
Snowball stemmer for it (None: words are kept as written).

The stop word lists are short on purpose: the function words that carry no topic (articles,
pronouns, auxiliaries, prepositions, question words). BM25 would give them little weight
anyway; the lists matter where every word counts the same, as in the support check's share
of a claim's words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    stemmer: str | None  # a snowballstemmer algorithm
    stopwords: frozenset[str]
    negations: frozenset[str]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH = Language("en", "english", _words(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves also many much one ones s t whose"""),
    _words("not no never nor none neither without cannot nothing nobody nowhere"))

GERMAN = Language("de", "german", _words(
    """aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes auch auf aus bei bin bis bist da damit dann das dass dein deine dem den denn der
    des dessen die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem
    einen einer eines er es etwas euer eure für hab habe haben hat hatte hatten hier hin hinter
    ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in indem ins ist ja jede jedem jeden jeder
    jedes jene jetzt kann können könnte man manche mein meine mit muss musste nach nun nur ob
    oder ohne sehr sein seine seinem seinen seiner sich sie sind so solche soll sollte sondern
    über um und uns unser unter viel vom von vor war waren warst was weil welche welchem
    welchen welcher welches wenn wer werde werden wie wieder will wir wird wo wollen worden
    wurde wurden zu zum zur zwar zwischen wann warum wieviel wie viele woher wohin"""),
    _words("nicht kein keine keinem keinen keiner keines nie niemals nichts niemand ohne "
           "weder"))

SPANISH = Language("es", "spanish", _words(
    """a al algo algunas algunos ante antes como con contra cual cuales cuando cuándo cuál
    cuáles de del desde donde dónde durante e el él ella ellas ellos en entre era eran es esa
    esas ese eso esos esta está estaba estaban están estar este esto estos fue fueron ha había
    han hasta hay la las le les lo los más me mi mis mucho muy nos o otra otras otro otros para
    pero por porque qué que quien quién quienes se sea ser si sí sin sobre son su sus también
    te tiene tienen todo todos tu tus un una uno unos y ya yo cuánto cuántos cuánta cuántas"""),
    _words("no nunca jamás ni ninguno ninguna nada nadie sin tampoco"))

FRENCH = Language("fr", "french", _words(
    """à au aux avec ce ces cet cette dans de des du elle elles en est et été être eu il ils
    je la le les leur leurs lui ma mais me même mes moi mon nous on ont ou où par pas pour qu
    que quel quelle quelles quels qui quoi sa sans se ses son sont sur ta te tes toi ton tu un
    une vos votre vous y a été était étaient comment combien pourquoi quand"""),
    _words("ne pas jamais aucun aucune rien sans ni"))

ITALIAN = Language("it", "italian", _words(
    """a ad al alla alle allo agli ai anche che chi ci come con cosa cui da dal dalla dalle
    degli dei del della delle dello di dove e è ed era erano gli ha hanno i il in io la le lo
    loro lui ma mi nel nella nelle nello noi o per perché più quale quali quando quanto quella
    quelle quello questa queste questo si sono su sua sue suo suoi tra un una uno"""),
    _words("non mai nessuno nessuna niente nulla senza né"))

PORTUGUESE = Language("pt", "portuguese", _words(
    """a ao aos as à às com como da das de do dos e é ela elas ele eles em entre era eram essa
    esse esta este eu foi foram há isso isto já lhe mais mas me meu minha muito na nas no nos
    o os ou para pela pelo por qual quais quando que quem se seu sua são também um uma umas
    uns onde quanto quantos"""),
    _words("não nunca nenhum nenhuma nada ninguém sem nem"))

DUTCH = Language("nl", "dutch", _words(
    """aan al als bij dat de den der deze die dit door een en er het hij hoe ik in is je kan
    maar met na naar nog of om onder ook op over te tot uit van voor was waren wat wie wij
    worden wordt zich zij zijn zo waar wanneer waarom welke"""),
    _words("niet geen nooit niets niemand zonder noch"))

RUSSIAN = Language("ru", "russian", _words(
    """а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
    даже для до его ее её если есть еще ещё же за здесь и из или им их к как какая какие
    какой когда кто ли либо мне может мы на над надо наш не него нее неё нет ни них но ну о об
    однако он она они оно от очень по под при с со так также такой там те тем то того тоже той
    только том ты у уже хотя чего чей чем что чтобы чье чья эта эти это этого этой этом этот я
    сколько почему зачем какого каком""").difference({"не", "нет", "ни"}),
    _words("не нет ни никогда ничего никто нигде без"))

ARABIC = Language("ar", "arabic", _words(
    """في من على إلى عن مع هذا هذه ذلك تلك الذي التي الذين هو هي هم هن أن إن كان كانت يكون ما
    ماذا متى أين كيف لماذا كم أي و أو ثم قد لقد بين عند كل بعض هل إذا حتى منذ"""),
    _words("لا لم لن ليس ليست غير بدون دون"))

HEBREW = Language("he", None, _words(
    """של את על עם זה זו הוא היא הם הן אני אתה כי אם או גם כל מה מי מתי איפה איך למה כמה"""),
    _words("לא אין בלי אף"))

# Chinese and Japanese: the analyzer makes character bigrams, so its "stop words" are the
# bigrams of question words and particles, which say what kind of answer is wanted but are
# not what the passages are about.
CHINESE = Language("zh", None, _words(
    """什么 哪些 哪个 哪里 哪儿 哪位 哪种 哪一 哪年 多少 怎么 怎样 如何 为何 为什 是什 是哪 是谁
    是否 的是 了什 有什 有哪 有多 在哪 几个 一个 这个 那个 我们 他们 它们 你们 以及 或者 因为
    所以 但是 而且 如果 虽然 可以 这些 那些 其中"""),
    frozenset())  # negation in Chinese text is found by the analyzer's CJK_NEGATION pattern

JAPANESE = Language("ja", None, _words(
    """ので から まで です ます した して いる ある なに 何で どこ だれ いつ どの どれ
    どう これ それ あれ この その あの ため こと もの よう"""),
    frozenset())

KOREAN = Language("ko", None, frozenset(), frozenset())

OTHER = Language("und", None, frozenset(), frozenset())

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    ENGLISH, GERMAN, SPANISH, FRENCH, ITALIAN, PORTUGUESE, DUTCH, RUSSIAN, ARABIC, HEBREW,
    CHINESE, JAPANESE, KOREAN, OTHER)}

# Languages written in the Latin alphabet, told apart by their stop words.
LATIN = (ENGLISH, GERMAN, SPANISH, FRENCH, ITALIAN, PORTUGUESE, DUTCH)
