"""The answer card's verdicts, from the engine's AnswerDone dictionaries (no engine)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")


def finished(qtbot, done: dict, passages: list | None = None):  # noqa: ANN001, ANN201
    from assistant.ui.chat_view import AnswerCard

    card = AnswerCard(done["question"])
    qtbot.addWidget(card)
    card.passages = passages or [{"path": "/d/bridge.pdf", "page": 3, "text": "x"}]
    card.finish(done)
    return card


def test_a_judged_draft_says_the_model_said_no(qtbot) -> None:  # noqa: ANN001
    card = finished(qtbot, {"question": "When did the bridge close?", "abstained": True,
                            "answer": "I can't find the answer to that in your documents.",
                            "reason": "judged", "draft": "It closed in 1937."})
    note = card.note.text()
    assert "It closed in 1937." in note
    assert "the model said no" in note and "no source holds" not in note


def test_an_unsupported_draft_says_no_source_holds_it(qtbot) -> None:  # noqa: ANN001
    card = finished(qtbot, {"question": "When did the bridge close?", "abstained": True,
                            "answer": "I can't find the answer to that in your documents.",
                            "reason": "unsupported", "draft": "It closed in 1990."})
    assert "no source holds this" in card.note.text()
