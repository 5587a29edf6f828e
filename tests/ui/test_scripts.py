"""Every script renders: Chinese, Japanese, Cyrillic, Arabic and Hebrew passages, answers,
heading paths and file names draw with real glyphs (no box), Arabic and Hebrew read right
to left, Chinese question words are highlighted, and the PDF viewer finds a Chinese passage
in a page's text layer."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

ARABIC = "القاهرة هي عاصمة مصر وأكبر مدنها، وتقع على ضفاف نهر النيل."
HEBREW = "ירושלים היא עיר הבירה של ישראל והעיר הגדולה ביותר בה."
CHINESE = "OpenAI通过Rust重构文本生成后端，单节点吞吐量提升200%。"
JAPANESE = "東京は日本の首都であり、最大の都市です。"
KOREAN = "서울은 대한민국의 수도이다."
RUSSIAN = "Москва — столица России и крупнейший город страны."
ENGLISH = "Hot composting takes four to eight weeks to produce finished compost."
SCRIPTS = [CHINESE, JAPANESE, KOREAN, RUSSIAN, ARABIC, HEBREW, ENGLISH]


@pytest.fixture
def app(qapp):  # noqa: ANN001, ANN201
    from assistant.ui.app import make_app

    return make_app()


@pytest.fixture
def fonts_installed() -> None:
    from assistant import syslibs

    missing = [n.label for n in syslibs.needs("tests") if n.kind == "font" and not n.ok]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (python -m assistant.syslibs --for tests "
                    "--install)")


def card_with(qtbot, question: str, passages: list[str], answer: str = ""):  # noqa: ANN001, ANN201
    from assistant.ui.chat_view import AnswerCard

    card = AnswerCard(question)
    qtbot.addWidget(card)
    card.passages = [{"path": f"/文档/مستند/{i}-资料.md", "page": i + 1, "text": text,
                      "start": 0, "end": len(text), "heading": "第一章 概述 › الفصل الأول",
                      "score": 0.5} for i, text in enumerate(passages)]
    card.finish({"answer": answer or passages[0] + " [1]", "citations": [
        dict(card.passages[0], n=1)]})
    return card


def blocks_holding(document, text: str) -> list:  # noqa: ANN001
    found = []
    block = document.begin()
    while block.isValid():
        if text[:12] in block.text():
            found.append(block)
        block = block.next()
    assert found, f"{text[:12]!r} is not in the document"
    return found


def test_every_script_draws_with_real_glyphs(app, qtbot, fonts_installed) -> None:  # noqa: ANN001
    from assistant.ui import fonts
    from assistant.ui.document_viewer import TextPane
    from assistant.ui.sources_panel import SourcesPanel

    assert not fonts.missing("".join(SCRIPTS)), "the app font's families lack a script"
    card = card_with(qtbot, "单节点吞吐量提升了多少？", SCRIPTS, answer=" ".join(SCRIPTS))
    panel = SourcesPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 900)
    panel.show_answer(card)
    text = panel.view.toPlainText()
    assert all(s in text for s in SCRIPTS) and "第一章 概述" in text and "مستند" in text
    assert fonts.boxes(panel.view.document()) == 0
    assert fonts.boxes(card.body.document()) == 0
    pane = TextPane()
    qtbot.addWidget(pane)
    pane.show_span("\n\n".join(SCRIPTS), 0, len(CHINESE), CHINESE)
    assert fonts.boxes(pane.document()) == 0


def test_the_box_check_sees_a_box(app) -> None:  # noqa: ANN001
    from PySide6.QtGui import QFont, QTextDocument

    from assistant.ui import fonts

    doc = QTextDocument()
    doc.setDefaultFont(QFont("DejaVu Sans"))
    doc.setPlainText("private use: \ue000")  # no font draws it
    assert fonts.boxes(doc) >= 1


def test_arabic_and_hebrew_read_right_to_left(app, qtbot) -> None:  # noqa: ANN001
    from PySide6.QtCore import Qt

    from assistant.ui.chat_view import UserCard
    from assistant.ui.sources_panel import SourcesPanel

    card = card_with(qtbot, "ما هي عاصمة مصر؟", [ARABIC, HEBREW, ENGLISH], answer=ARABIC)
    panel = SourcesPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 900)
    panel.show()
    panel.show_answer(card)
    panel.view.document().setTextWidth(400)
    for document, text, rtl in ((panel.view.document(), ARABIC, True),
                                (panel.view.document(), HEBREW, True),
                                (panel.view.document(), ENGLISH, False),
                                (card.body.document(), ARABIC, True)):
        for block in blocks_holding(document, text):
            want = Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
            assert block.textDirection() == want, text
            line = block.layout().lineAt(0)
            first, last = line.cursorToX(0)[0], line.cursorToX(line.textLength())[0]
            assert (first > last) == rtl, (text, first, last)  # starts at the right edge
    question = UserCard("ما هي عاصمة مصر؟")
    qtbot.addWidget(question)
    assert question.label.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert UserCard("What is the capital?").label.layoutDirection() == \
        Qt.LayoutDirection.LeftToRight


def test_chinese_question_words_are_highlighted(app) -> None:  # noqa: ANN001
    import re

    from assistant.ui.sources_panel import highlight_words

    marked = re.findall(r'<span style="background-color:#ff0;">(.*?)</span>',
                        highlight_words(CHINESE, "单节点吞吐量提升了多少？", "#ff0"))
    assert any("吞吐量" in m for m in marked), marked
    assert not any("OpenAI" in m for m in marked)  # not asked about
    english = highlight_words(ENGLISH, "How long does composting take?", "#ff0")
    assert '<span style="background-color:#ff0;">composting</span>' in english


def test_the_viewer_finds_a_chinese_passage_in_a_page_text_layer() -> None:
    from assistant.ui.document_viewer import MIN_FOUND, locate

    passage = "知识增强生成的实现策略包括检索、重排序和生成三个步骤，每一步都保留出处。"
    # a PDF text layer: the same characters, broken into lines anywhere, with spaces
    page = ("第三章 实现\n知识增强生成的实现策略包括检\n索、重排序和生成三个步 骤，"
            "每一步都保留出处。\n下一节")
    start, end, share = locate(passage, page)
    assert share >= 0.9 > MIN_FOUND
    assert page[start] == "知" and page[end - 1] == "处"


def test_a_passage_reads_as_text_not_markup_or_pdf_lines(qtbot) -> None:  # noqa: ANN001
    """Markdown heading marks are not shown (the heading path says where the passage is),
    and a Chinese PDF line's wrap does not put a space inside a word."""
    from assistant.ui.sources_panel import SourcesPanel

    passage = ("# 计算复杂性理论\n\n## 概述\n\n计算复杂性理论是理论计算机科学中计算理论的"
               "一个分支，它侧重于根据问题的固有难\n度对其进行分类。")
    card = card_with(qtbot, "计算复杂性理论的依据是什么？", [passage])
    panel = SourcesPanel()
    qtbot.addWidget(panel)
    panel.show_answer(card)
    text = panel.view.toPlainText()
    assert "计算复杂性理论 概述 计算复杂性理论是" in text and "#" not in text
    assert "固有难度" in text
