"""The analyzer, language by language: the terms a passage is indexed by and a question
searches with, sentences, numbers, negation and highlights."""

from __future__ import annotations

import pytest

from assistant.core.text import (
    detect_language,
    flat,
    highlight_spans,
    index_terms,
    key_stems,
    negated,
    numbers_as_digits,
    sentence_spans,
    stems,
    terms,
    word_count,
    writing_system,
)


@pytest.mark.parametrize(("text", "lang"), [
    ("What did the Normans conquer in 1066?", "en"),
    ("Wer war der erste Kaiser von Deutschland?", "de"),
    ("¿Cuál es la capital de España?", "es"),
    ("Quelle est la capitale de la France ?", "fr"),
    ("Какой город является столицей России?", "ru"),
    ("ما هي عاصمة مصر؟", "ar"),
    ("מה היא בירת ישראל?", "he"),
    ("单节点吞吐量提升了多少？", "zh"),
    ("東京都に住んでいる人は何人ですか", "ja"),
    ("서울은 한국의 수도입니다", "ko"),
    ("OpenAI通过Rust重构了文本生成后端", "zh"),
    ("12345 !!!", "und"),
])
def test_the_language_is_detected(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_writing_systems_group_languages_that_can_share_words() -> None:
    assert {writing_system(c) for c in ("en", "de", "es", "fr")} == {"latin"}
    assert writing_system("zh") == writing_system("ja") == "han"  # shared characters
    assert len({writing_system(c) for c in ("en", "zh", "ko", "ru", "ar", "he")}) == 6
    assert writing_system("und") is None


def test_chinese_is_searched_by_character_bigrams_without_question_words() -> None:
    q = terms("单节点吞吐量提升了多少？")
    assert {"节点", "吞吐", "提升"} <= set(q)
    assert "多少" not in q  # a question word: what kind of answer, not what it is about
    passage = set(index_terms("OpenAI的单节点吞吐量提升200%").split())
    assert {"节点", "吞吐", "提升", "200", "openai"} <= passage


def test_traditional_and_simplified_chinese_meet() -> None:
    assert "台湾" in terms("臺灣的首都是哪裡？")
    assert set(terms("臺灣")) == set(terms("台湾")) == {"台湾"}
    assert set(terms("資訊檢索")) == set(terms("资讯检索"))


def test_full_width_forms_are_the_ascii_ones() -> None:
    assert terms("ＧＰＴ４ 提升２００％") == terms("GPT4 提升200%")


def test_japanese_and_korean_by_bigrams() -> None:
    assert {"东京", "京都"} <= set(terms("東京都に住んでいる"))  # kanji folded like Chinese
    assert {"한국", "수도"} <= set(terms("서울은 한국의 수도입니다"))
    assert terms("水") == ["水"]  # a lone character is a term of its own


def test_each_language_has_its_stems_and_stop_words() -> None:
    assert terms("running runs") == ["run"]
    assert terms("Wer war der erste Kaiser?") == ["erst", "kais"]
    assert terms("los gatos y el gato") == ["gat"]
    assert terms("столицей столица") == ["столиц"]
    assert terms("the café") == terms("cafe")  # diacritics folded, as unicode61 did


def test_english_words_in_chinese_text_are_stemmed_as_english() -> None:
    assert "model" in terms("这些models很快")


def test_sentences_end_at_chinese_punctuation_without_spaces() -> None:
    text = "OpenAI重构了后端。吞吐量提升200%！延迟下降了一半；成本呢？然后 Next one. Done here."
    got = [text[a:b] for a, b in sentence_spans(text)]
    assert got == ["OpenAI重构了后端。", "吞吐量提升200%！", "延迟下降了一半；", "成本呢？",
                   "然后 Next one.", "Done here."]


def test_a_wrapped_chinese_pdf_line_is_not_a_heading() -> None:
    line = "知识增强生成通过检索外部文档来补充大模型的知识并在回答时给出来源和引用的页码"
    text = f"实现策略\n{line}\n{line}。"
    got = [text[a:b] for a, b in sentence_spans(text)]
    assert got == ["实现策略", f"{line}\n{line}。"]


def test_arabic_question_mark_ends_a_sentence() -> None:
    text = "ما هي عاصمة مصر؟ القاهرة هي العاصمة."
    assert len(list(sentence_spans(text))) == 2


def test_chinese_numbers_become_digits() -> None:
    assert numbers_as_digits("提升了两倍，二十五个人，百分之二十，一九四九年") == \
        "提升了2倍，25个人，20%，1949年"
    assert numbers_as_digits("一般来说，万一") == "一般来说，万一"  # words, not numbers
    assert numbers_as_digits("forty-two") == "42"
    assert "25" in stems("二十五个人")


def test_names_and_numbers_in_chinese_text() -> None:
    assert key_stems("OpenAI通过Rust重构了3个后端") == {"openai", "rust", "3"}
    assert key_stems("The Normans came in 1066") == {"norman", "1066"}


@pytest.mark.parametrize(("text", "expected"), [
    ("他没有去北京", True), ("这不是真的", True), ("不同的方法", False), ("不断提升", False),
    ("This is not true", True), ("Das ist nicht wahr", True), ("No es verdad", True),
    ("Это не так", True), ("It isn't so", True), ("The non-profit grew", False),
])
def test_negation_in_each_language(text: str, expected: bool) -> None:
    assert negated(text) is expected


def test_highlights_cover_the_chinese_words_asked_about() -> None:
    text = "OpenAI的单节点吞吐量提升200%"
    spans = highlight_spans(text, "单节点吞吐量提升了多少")
    assert [text[a:b] for a, b in spans] == ["单节点吞吐量提升"]
    text = "The Normans conquered England."
    assert [text[a:b] for a, b in highlight_spans(text, "Who conquered England?")] == [
        "conquered", "England"]


def test_word_count_counts_chinese_by_two_characters() -> None:
    assert word_count("知识增强生成实现") == 4
    assert word_count("three plain words") == 3


def test_a_chinese_pdf_lines_wrapping_is_undone_on_one_line_but_not_its_headings() -> None:
    wrapped = ("在罗洛大军到来之前，它的人口与皮卡第 (Picardy) 或法兰西岛没有差别，都被视\n"
               "为“法兰克人”。")
    assert flat(f"诺曼人\n{wrapped}") == (
        "诺曼人 在罗洛大军到来之前，它的人口与皮卡第 (Picardy) 或法兰西岛没有差别，都被视为"
        "“法兰克人”。")
    assert flat("hard\nwrapped English") == "hard wrapped English"
    assert flat("第二章 产能") == "第二章 产能"  # a space the writer typed stays
