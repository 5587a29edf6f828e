"""Chinese documents end to end on the real parts (issue 23): Markdown, a CJK PDF and a DOCX
in a folder with a Chinese name, beside English and other languages; indexed, searched,
asked in Chinese and answered in Chinese with citations; forgotten by their Chinese names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import consistent, make_docx

pytestmark = pytest.mark.integration

CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]

BRIEF = """# 人工智能与 Rust 工具概览

## 文本生成后端

OpenAI 通过 Rust 重构文本生成后端，单节点吞吐量提升200%，延迟下降了一半。

## 知识增强生成

知识增强生成的实现策略包括三个步骤：先切分文档并建立索引，再按问题检索相关段落，最后让模型根据检索到的段落作答并给出引用。
"""

PAGES = [
    "第一章 概述\n本报告介绍台湾的半导体产业。",
    "第二章 产能\n台积电在二〇二三年的晶圆产能约为每年一千六百万片。",
]


def make_cjk_pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    font = next((f for f in CJK_FONTS if Path(f).is_file()), None)
    if font is None:
        pytest.skip("no CJK font (fonts-noto-cjk) to write a Chinese PDF with")
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=font)
    for text in pages:
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(0, 8, text, wrapmode="CHAR")
    pdf.output(str(path))
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    docs = tmp_path / "资料 Résumé"
    docs.mkdir()
    (docs / "简介.md").write_text(BRIEF, encoding="utf-8")
    make_cjk_pdf(docs / "半导体报告.pdf", PAGES)
    make_docx(docs / "会议纪要.docx", [("h1", "周会纪要"),
                                       ("p", "下次发布定于三月十五日，负责人是王伟。")])
    (docs / "notes-en.md").write_text("# Garden\n\nTomatoes need at least six hours of sun.\n")
    (docs / "notizen.md").write_text("# Garten\n\nRosen schneidet man im späten Winter.\n")
    return docs


def han_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(1 for ch in letters if "\u4e00" <= ch <= "\u9fff") / max(1, len(letters))


def test_a_chinese_library_is_indexed_searched_and_answered_in_chinese(services, library):
    events = list(services.indexer.index([library]))
    summary = events[-1]
    assert (summary.added, summary.failed) == (5, 0)
    assert consistent(services)

    hits = services.retriever.search("OpenAI通过Rust重构文本生成后端，单节点吞吐量提升了多少？", 3)
    assert hits[0].path.endswith("简介.md") and "200%" in hits[0].text
    assert "文本生成后端" in hits[0].heading

    # A CJK PDF keeps its pages; Traditional characters find the Simplified text.
    hits = services.retriever.search("臺積電的晶圓產能是多少？", 3)
    assert hits[0].path.endswith("半导体报告.pdf") and hits[0].page == 2
    assert "晶圆产能" in hits[0].text  # no spaces or NULs between the characters

    hits = services.retriever.search("下次发布是什么时候？", 3)
    assert hits[0].path.endswith("会议纪要.docx")

    # An English question over Chinese text: the keyword side keeps only passages in the
    # question's script (here it would match on "OpenAI" and "Rust" alone); they still come
    # in through the vector search. English passages keep their keyword hits.
    hits = services.retriever.search("Did OpenAI rewrite its text generation in Rust? "
                                     "Tomatoes and sun?", 10)
    chinese = [h for h in hits if h.path.endswith("简介.md")]
    assert chinese and all(h.lexical_rank is None for h in chinese)
    assert any(h.path.endswith("notes-en.md") and h.lexical_rank for h in hits)

    question = "OpenAI通过Rust重构文本生成后端，单节点吞吐量提升了多少？"
    done = services.answerer.answer(question).result()
    assert not done.abstained, (done.reason, done.draft)
    assert done.citations and done.citations[0].path.endswith("简介.md")
    assert "200" in done.answer
    assert han_share(re.sub(r"\[\d+\]", "", done.answer)) >= 0.5, done.answer

    done = services.answerer.answer("这些文档里有没有关于火星殖民的预算？").result()
    if done.abstained:  # when it abstains, it says so in Chinese
        assert done.answer == "在你的文档中找不到这个问题的答案。"

    removed = services.indexer.forget(library / "简介.md")
    assert removed == 1
    assert not any(h.path.endswith("简介.md")
                   for h in services.retriever.search("单节点吞吐量", 5))
    assert consistent(services)
