"""Build the chat prompt: the evidence sentences, numbered by source, within the model's token
budget, then the question."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.core.messages import translate
from assistant.core.text import detect_language
from assistant.core.text.sentences import WIDE_CHAR
from assistant.core.types import Passage

NOT_FOUND = "I can't find the answer to that in your documents."

LANGUAGE_NAMES = {"en": "English", "de": "German", "es": "Spanish", "fr": "French",
                  "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "ru": "Russian",
                  "ar": "Arabic", "he": "Hebrew", "zh": "Chinese", "ja": "Japanese",
                  "ko": "Korean"}


def not_found(lang: str) -> str:
    """"Not in your documents", in the question's language where the catalog has it."""
    return translate(NOT_FOUND, lang)

# Tokens the chat template adds around messages (role markers etc.), with some slack.
TEMPLATE_OVERHEAD = 48
MIN_SOURCE_TOKENS = 48


def source_header(n: int, passage: Passage, lang: str = "en") -> str:
    name = Path(passage.path).name
    where = (", " + translate("page {page}", lang, page=passage.page)
             if passage.page is not None else "")
    heading = f" — {passage.heading}" if passage.heading else ""
    return f"[{n}] {name}{where}{heading}"


def _cut_to_tokens(text: str, limit: int, count_tokens: Callable[[str], int]) -> str:
    """The longest start of ``text`` within ``limit`` tokens, cut at a word: at a space, or
    anywhere in text written without spaces (Chinese, Japanese)."""
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix within the limit
        mid = (lo + hi + 1) // 2
        if count_tokens(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    if lo < len(text):
        space = text.rfind(" ", 0, lo + 1)
        if space > 0 and (lo - space < 40 or not WIDE_CHAR.search(text, space, lo)):
            lo = space
    return text[:lo].rstrip() + " …"


EVIDENCE_PROMPT = (
    "Answer the question using only the numbered sources. Reply with one short sentence "
    "that answers exactly what is asked, in the words of the sources. "
    f'If the sources do not answer it, reply only: "{NOT_FOUND}"'
)
# A question in another language is answered in it: a small model follows an instruction in
# the question's own language best (Chinese), or a named language at the end (others).
PROMPTS = {
    "zh": ("只根据编号的资料回答问题。用一句简短的中文回答问题问的内容，尽量使用资料中的原话。"
           f"如果资料没有回答这个问题，只回复：“{not_found('zh')}”"),
}
LABELS = {"zh": ("资料：", "问题：", "前一个问题：", "问题（接着前一个问题）：")}
_LABELS_EN = ("Sources:", "Question:", "Earlier question:", "Question (follows on from it):")


def evidence_prompt(lang: str) -> str:
    if lang in PROMPTS:
        return PROMPTS[lang]
    if lang in LANGUAGE_NAMES and lang != "en":
        return (EVIDENCE_PROMPT + f" Write the answer in {LANGUAGE_NAMES[lang]}, the language "
                "of the question.")
    return EVIDENCE_PROMPT


# Asked on its own after the model's draft (see Answerer._judge): the best evidence sentence
# and the question, nothing else. Given the five sources and its own answer, the same model
# said "yes" to answerable and unanswerable questions alike (ROC AUC 0.50 on the tuning
# half); given one sentence it tells them apart better (0.72).
JUDGE_SYSTEM = ("You check whether a text answers a question. Reply with one word: yes or no.")


def judge_messages(question: str, sentence: str,
                   earlier_question: str = "") -> list[dict[str, str]]:
    asked = f"Question: {question.strip()}"
    if earlier_question:  # a follow-up ("And when did it close?") needs what it follows
        asked = f"Earlier question: {earlier_question.strip()}\n{asked}"
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Text: {sentence.strip()}\n\n{asked}\n\n"
                                        "Does the text state the answer to this exact "
                                        "question? Reply yes or no."}]


def evidence_messages(question: str, blocks: list[tuple[Passage, str]],
                      count_tokens: Callable[[str], int], budget: int,
                      earlier_question: str = "") -> list[dict[str, str]]:
    """A short prompt: the few sentences that hold the answer, numbered by passage, within
    ``budget`` prompt tokens (the last ones are cut at a word, or left out, when needed),
    in the question's language."""
    lang = detect_language(question)
    sources, asked, earlier, follows = LABELS.get(lang, _LABELS_EN)
    system = evidence_prompt(lang)
    question_part = f"{asked} {question.strip()}"
    if earlier_question:
        question_part = (f"{earlier} {earlier_question.strip()}\n"
                         f"{follows} {question.strip()}")
    used = (count_tokens(system) + count_tokens(question_part) + TEMPLATE_OVERHEAD + 8)
    parts = []
    for n, (passage, text) in enumerate(blocks, start=1):
        header = source_header(n, passage, lang)
        block = f"{header}\n{text}"
        cost = count_tokens(block) + 2
        if used + cost > budget:
            room = budget - used - count_tokens(header) - 4
            if room < MIN_SOURCE_TOKENS:
                break
            block = f"{header}\n{_cut_to_tokens(text, room, count_tokens)}"
            cost = count_tokens(block) + 2
        parts.append(block)
        used += cost
    user = f"{sources}\n\n" + "\n\n".join(parts) + f"\n\n{question_part}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
