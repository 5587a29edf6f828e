"""The main flows of the window on the real engine and models: drop, index, ask, see the
answer stream and its citations, open the cited page, stop, follow up, delete and undo,
retry a broken file, and keep the window responsive while it all happens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import Qt
from PySide6.QtTest import QTest

from tests.helpers import FACT_PAGES, make_pdf
from tests.ui.conftest import always_ask_the_model, ask, drop, wait_indexed

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_drop_a_pdf_ask_about_page_3_and_open_the_cited_page(window, engine, qtbot,
                                                            tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from assistant.ui.chat_view import AnswerCard

    pdf = make_pdf(tmp_path / "lighthouse-survey.pdf", FACT_PAGES)
    t0 = time.perf_counter()
    drop(window, [pdf])
    assert time.perf_counter() - t0 < 0.1  # control comes back at once
    wait_indexed(qtbot, engine, 1)
    tokens: list[str] = []
    real_append = AnswerCard.append
    monkeypatch.setattr(AnswerCard, "append",
                        lambda self, piece: (tokens.append(piece), real_append(self, piece)))
    card = ask(qtbot, window, "When was the Lindesnes lighthouse first lit?")
    assert len(tokens) >= 3 and card.draft == "".join(tokens)
    assert card.badge_kind == "found"
    on_page_3 = [c for c in card.done["citations"] if c["page"] == 3]
    assert on_page_3, card.done
    assert "1656" in card.answer_text()
    card.body.anchorClicked.emit(QUrl(f"cite:{on_page_3[0]['n']}"))  # click the chip
    qtbot.waitUntil(lambda: window.viewer.source is not None, timeout=10_000)
    assert window.side.currentWidget() is window.viewer
    assert window.viewer.current_page == 3 and window.viewer.highlighted
    assert "Lindesnes" in window.sources.view.toPlainText()


def test_stop_ends_the_answer_at_once_and_keeps_the_text(window, engine, qtbot,
                                                         tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "stations.md").write_text("# Stations\n\n" + " ".join(
        f"Station {i} has a tower of {20 + i} metres and a keeper's house." for i in range(60)))
    window.add_paths([notes / "stations.md"])
    wait_indexed(qtbot, engine, 1)
    always_ask_the_model(engine)
    window.question.setPlainText("Describe every station and its tower, one by one.")
    window.send()
    card = window.chat.answers()[-1]
    qtbot.waitUntil(lambda: len(card.draft) > 0, timeout=60_000)
    with qtbot.waitSignal(window.answer_finished, timeout=5_000):
        t0 = time.perf_counter()
        QTest.keyClick(window, Qt.Key.Key_Escape)
    assert time.perf_counter() - t0 < 0.2
    assert card.done["cancelled"] and card.badge.text() == "Stopped"
    assert card.body.toPlainText().strip()  # what was written stays
    assert window.send_button.text() == "Send"
    assert not engine.services.generator.lane.locked()


def test_follow_up_question_uses_the_conversation(window, engine, qtbot, tmp_path: Path) -> None:
    docs = tmp_path / "companies"
    docs.mkdir()
    (docs / "northwind.md").write_text(
        "# Northwind Traders\n\nNorthwind Traders builds cedar canoes by the lake.\n\n"
        "The company was founded in 1987 by the boat builder Ada Lindqvist.\n")
    for name, founder in [("Contoso", "Marek Hill"), ("Fabrikam", "June Okafor")]:
        (docs / f"{name.lower()}.md").write_text(
            f"# {name}\n\n{name} makes solar panels. It was founded by {founder}.\n")
    window.add_paths([docs])
    wait_indexed(qtbot, engine, 3)
    ask(qtbot, window, "What does Northwind Traders build?")
    follow = ask(qtbot, window, "And who founded it?")
    assert follow.passages[0]["path"].endswith("northwind.md")
    assert len(engine.conversations.messages(window.conversation_id)) == 4


def test_delete_a_conversation_then_undo(window, engine, qtbot, tmp_path: Path) -> None:
    (tmp_path / "n.md").write_text("# Kites\n\nThe red kite nests in tall oak trees.\n")
    window.add_paths([tmp_path / "n.md"])
    wait_indexed(qtbot, engine, 1)
    ask(qtbot, window, "Where does the red kite nest?")
    conversation = window.conversation_id
    assert window.conversations.list.count() == 1
    window.conversations.list.setCurrentRow(0)
    window.conversations.list.setFocus()
    QTest.keyClick(window.conversations.list, Qt.Key.Key_Delete)
    assert window.conversations.list.count() == 0 and window.conversation_id is None
    assert window.undo_button.isVisible()
    window.undo_button.click()
    assert window.conversations.list.count() == 1
    window.open_conversation(conversation)
    assert len(window.chat.answers()) == 1 and window.chat.answers()[0].done is not None


def test_broken_file_shows_its_reason_and_retry_works(window, engine, qtbot,
                                                      tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    broken = folder / "report.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated download")
    (folder / "fine.md").write_text("# Fine\n\nOwls hunt at night.\n")
    window.add_paths([folder])
    wait_indexed(qtbot, engine, 1)
    qtbot.waitUntil(lambda: engine.services.catalog.counts()["failed"] == 1, timeout=30_000)
    library = window.show_library()
    library.filter.setCurrentIndex(1)  # Failed
    library.refresh()
    assert library.table.rowCount() == 1
    assert library.table.item(0, 0).text() == "report.pdf"
    assert "[corrupt]" in library.table.item(0, 3).text()
    make_pdf(broken, ["Owls were counted in the barn survey of 2021."])  # fixed by the user
    library.table.selectRow(0)
    library.retry_button.click()
    qtbot.waitUntil(lambda: engine.services.catalog.counts()["failed"] == 0, timeout=60_000)
    library.refresh()
    assert library.table.rowCount() == 0
    library.close()


def test_window_stays_responsive_while_indexing_and_answering(window, engine, qtbot,
                                                             tmp_path: Path) -> None:
    """A 10 ms heartbeat on the GUI thread while 200 documents are indexed and an answer
    streams: its worst gap stays under 100 ms."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(200):
        (folder / f"doc{i:03}.md").write_text(
            f"# Document {i}\n\n" + " ".join(
                f"Paragraph {j} of document {i} talks about the harbour, tides and boats."
                for j in range(12)))
    (tmp_path / "answer.md").write_text("# Tides\n\nThe harbour floods twice a day at "
                                        "spring tide, when the moon is full.\n")
    window.add_paths([tmp_path / "answer.md"])
    wait_indexed(qtbot, engine, 1)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()
    drop(window, [folder])
    qtbot.waitUntil(lambda: engine.services.catalog.counts()["files"] >= 20, timeout=120_000)
    card = ask(qtbot, window, "When does the harbour flood?")
    wait_indexed(qtbot, engine, 201, timeout=300_000)
    timer.stop()
    assert card.done is not None and len(gaps) > 100
    worst = max(gaps[1:])
    print(f"heartbeat: {len(gaps)} beats, worst gap {worst * 1000:.1f} ms")
    assert worst < 0.1, f"the window froze for {worst * 1000:.0f} ms"


def test_keyboard(window, engine, qtbot) -> None:
    window.question.setFocus()
    QTest.keyClicks(window.question, "first line")
    QTest.keyClick(window.question, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(window.question, "second line")
    assert window.question.toPlainText() == "first line\nsecond line"
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.find_bar.isVisible()
    window.chat.setFocus()
    QTest.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.question.hasFocus()
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.conversation_id is None and not window.chat.cards
