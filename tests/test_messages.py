"""The engine's message catalog: every message the code looks up is translated, with the
same placeholders, and the terminal's locale picks the language."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from assistant.core import messages
from assistant.core.prompting import evidence_messages, not_found

ROOT = Path(__file__).resolve().parent.parent / "assistant"


def _used() -> set[str]:
    """Messages looked up in the code: translate("...") with a literal first argument."""
    found = set()
    for path in ROOT.rglob("*.py"):
        if "ui" in path.relative_to(ROOT).parts:  # the window's strings are Qt's (.ts)
            continue
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'(?<![.\w])translate\(\s*((?:"[^"]*"\s*)+)', text):
            found.add("".join(re.findall(r'"([^"]*)"', m.group(1))))
    found.add("I can't find the answer to that in your documents.")  # prompting.NOT_FOUND
    return found


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("lang", sorted(messages.CATALOG))
def test_every_message_used_is_translated_with_its_placeholders(lang: str) -> None:
    table = messages.CATALOG[lang]
    used = _used()
    assert len(used) >= 5
    assert used <= table.keys(), sorted(used - table.keys())
    for english, translated in table.items():
        assert _fields(english) == _fields(translated), english


def test_the_locale_chooses_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ASSISTANT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert messages.locale_language() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert messages.locale_language() == "zh"
    monkeypatch.setenv("ASSISTANT_LANG", "en_GB")
    assert messages.locale_language() == "en"
    assert messages.translate("Sources:", "zh_CN") == "来源："
    assert messages.translate("Sources:", "fr") == "Sources:"  # no catalog: English
    assert messages.translate("page {page}", "zh", page=3) == "第 3 页"


def test_not_in_your_documents_speaks_the_questions_language() -> None:
    assert not_found("zh") == "在你的文档中找不到这个问题的答案。"
    assert not_found("en") == "I can't find the answer to that in your documents."


def test_a_chinese_question_gets_a_chinese_prompt() -> None:
    from assistant.core.types import Passage

    p = Passage(chunk_id="c", path="/docs/简介.md", page=2, start=0, end=10, text="吞吐量提升200%",
                heading="性能", context="")
    system, user = evidence_messages("吞吐量提升了多少？", [(p, p.text)], len, 4000)
    assert "中文" in system["content"] and "找不到" in system["content"]
    assert user["content"].startswith("资料：") and "问题： 吞吐量提升了多少？" in user["content"]
    assert "第 2 页" in user["content"]
    system, _ = evidence_messages("Wie hoch ist der Turm?", [(p, p.text)], len, 4000)
    assert system["content"].endswith("Write the answer in German, the language of the question.")
    system, user = evidence_messages("How tall is it?", [(p, p.text)], len, 4000)
    assert "German" not in system["content"] and user["content"].startswith("Sources:")
