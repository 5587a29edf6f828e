"""Text that came from a document, a file name, a path or a model is never read as markup
that loads something. Each test puts an image reference to a FIFO into one widget, renders it
the way a user would see it (shown, painted, its tooltip shown) and asks the FIFO whether
anybody opened it: Qt's image loader opens local paths with a blocking read on the GUI thread,
so /dev/zero there grows the app until it aborts and a FIFO hangs it for ever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ui


class FifoOracle:
    """A FIFO that notices being opened. A writer in another process waits on it: its open
    returns only when a reader opens the other end; it notes that, then closes (and waits
    again), so a widget that did open it reads end-of-file and the test fails instead of
    hanging. A process, not a thread: the GUI thread may hold the GIL while it reads."""

    _WRITER = (
        "import os, sys\n"
        "fifo, seen = sys.argv[1:]\n"
        "while True:\n"
        "    fd = os.open(fifo, os.O_WRONLY)\n"
        "    if os.path.exists(seen + '.stop'):\n"
        "        break\n"
        "    with open(seen, 'a') as f:\n"
        "        f.write('opened\\n')\n"
        "    os.close(fd)\n"
    )

    def __init__(self, path: Path):
        os.mkfifo(path)
        self.path = path
        self.seen = path.with_name(path.name + ".seen")
        self._writer = subprocess.Popen([sys.executable, "-c", self._WRITER, str(path),
                                         str(self.seen)])

    def opened(self) -> bool:
        return self.seen.exists()

    def release(self) -> None:
        Path(str(self.seen) + ".stop").touch()
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer's open return
        try:
            self._writer.wait(10)
        finally:
            os.close(fd)

    def image_markdown(self) -> str:
        return f"![status]({self.path})"

    def img_tag(self) -> str:
        return f'<img src="{self.path}">'

    def file_name(self) -> str:
        """A legal file name (no "/") that is an <img> of the FIFO once read as HTML."""
        return "<img src=" + str(self.path).replace("/", "&#47;") + ">.md"


@pytest.fixture
def fifo(tmp_path: Path):
    oracle = FifoOracle(tmp_path / "fifo")
    yield oracle
    oracle.release()


def render(qtbot, widget) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication

    widget.show()
    qtbot.waitExposed(widget)
    widget.grab()
    QApplication.processEvents()
    qtbot.wait(50)


def show_tooltip(qtbot, text: str) -> None:  # noqa: ANN001
    """What Qt does when the pointer rests on an item: a QLabel that guesses the format."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication, QToolTip

    QToolTip.showText(QPoint(20, 20), text)
    QApplication.processEvents()
    qtbot.wait(50)
    QToolTip.hideText()


def hostile_answer(fifo: FifoOracle) -> str:
    return (f"The launch code for Project Falcon is 7731 {fifo.image_markdown()} [1].\n\n"
            f"> “It is 7731 {fifo.img_tag()}.” [1]")


def citation(path: str) -> dict[str, Any]:
    return {"n": 1, "path": path, "page": None, "start": 0, "end": 10,
            "text": "The launch code for Project Falcon is 7731.", "heading": ""}


def test_an_answer_quoting_a_markdown_image_loads_nothing(qtbot, fifo) -> None:  # noqa: ANN001
    from assistant.ui.chat_view import AnswerCard

    card = AnswerCard("What is the launch code for Project Falcon?")
    qtbot.addWidget(card)
    render(qtbot, card)
    card.start()
    for piece in hostile_answer(fifo).split(" "):  # the draft, streamed
        card.append(piece + " ")
        card.body.grab()
    card.finish({"answer": hostile_answer(fifo), "citations": [citation("/docs/falcon.md")],
                 "abstained": False, "unsupported_claims": []})
    render(qtbot, card)
    assert not fifo.opened(), "the answer's image was loaded from disk"
    shown = card.body.toPlainText()
    assert "7731" in shown and "status" in shown  # the text, with the image's alt text
    assert "<img" in shown  # raw HTML from a document is shown as the text it is


def test_an_abstention_showing_the_draft_loads_nothing(qtbot, fifo) -> None:  # noqa: ANN001
    from assistant.ui.chat_view import AnswerCard

    card = AnswerCard("q")
    qtbot.addWidget(card)
    card.set_sources([citation(str(fifo.path.parent / fifo.file_name()))])
    card.finish({"answer": "I can't find the answer to that in your documents.",
                 "abstained": True, "reason": "judged", "draft": hostile_answer(fifo),
                 "citations": []})
    render(qtbot, card)
    assert not fifo.opened()
    assert fifo.file_name() in card.note.text() or "&lt;img" in card.note.text()


def test_a_question_holding_markup_is_shown_as_typed(qtbot, fifo) -> None:  # noqa: ANN001
    from assistant.ui.chat_view import UserCard

    card = UserCard(f"What does {fifo.img_tag()} mean?")
    qtbot.addWidget(card)
    render(qtbot, card)
    assert not fifo.opened()


def test_indexing_status_shows_a_hostile_file_name_as_text(qtbot, fifo) -> None:  # noqa: ANN001
    from assistant.core.types import IndexProgress
    from assistant.ui.main_window import IndexingStatus

    status = IndexingStatus()
    qtbot.addWidget(status)
    status.show_progress(IndexProgress(1, 3, str(fifo.path.parent / fifo.file_name()),
                                       4, 2.0, None, 0))
    render(qtbot, status)
    assert not fifo.opened()
    assert fifo.file_name() in status.label.text()


def test_quick_ask_sources_show_hostile_file_names_as_text(qtbot, fifo) -> None:  # noqa: ANN001
    from assistant.ui.chat_view import AnswerCard
    from assistant.ui.quick_ask import QuickAsk

    popup = QuickAsk(engine=None)
    qtbot.addWidget(popup)
    card = AnswerCard("q")
    popup.card = card
    popup.answer_box.addWidget(card)
    path = str(fifo.path.parent / fifo.file_name())
    popup._done(card, {"answer": "It is 7731 [1].", "citations": [citation(path)],
                       "abstained": False, "unsupported_claims": []})
    render(qtbot, popup)
    assert not fifo.opened()
    opened: list[Any] = []
    popup.open_source.connect(opened.append)
    popup.sources.linkActivated.emit("0")  # the link still opens the cited file
    assert opened and opened[0]["path"] == path


def test_library_tooltips_show_paths_as_text(qtbot, fifo, tmp_path: Path) -> None:  # noqa: ANN001
    from assistant.core.catalog import Catalog
    from assistant.ui.library_view import LibraryView

    catalog = Catalog(tmp_path / "catalog.sqlite3")
    path = str(fifo.path.parent / fifo.file_name())
    catalog.mark_failed(path, "corrupt", f"{fifo.file_name()} is not {fifo.img_tag()}")
    view = LibraryView(lambda: catalog)
    qtbot.addWidget(view)
    view.refresh()
    render(qtbot, view)
    tips = [view.table.item(0, col).toolTip() for col in range(view.table.columnCount())]
    for tip in tips:
        show_tooltip(qtbot, tip)
    assert not fifo.opened()


def test_conversation_tooltips_show_titles_as_text(qtbot, fifo) -> None:  # noqa: ANN001
    from assistant.core.conversations import Conversation
    from assistant.ui.conversation_list import ConversationList

    panel = ConversationList()
    qtbot.addWidget(panel)
    panel.fill([Conversation(1, f"Why {fifo.img_tag()}?", 0.0, 0.0)], 1)
    render(qtbot, panel)
    show_tooltip(qtbot, panel.list.item(0).toolTip())
    assert not fifo.opened()


def test_sources_panel_shows_passages_and_names_as_text(qtbot, fifo) -> None:  # noqa: ANN001
    from assistant.ui.chat_view import AnswerCard
    from assistant.ui.sources_panel import SourcesPanel

    panel = SourcesPanel()
    qtbot.addWidget(panel)
    card = AnswerCard("launch code")
    source = dict(citation(str(fifo.path.parent / fifo.file_name())),
                  text=f"The code is 7731 {fifo.img_tag()} {fifo.image_markdown()}",
                  heading=fifo.img_tag())
    card.passages = [source]
    card.done = {"citations": [source], "abstained": False}
    panel.show_answer(card)
    render(qtbot, panel)
    assert not fifo.opened()
    assert "7731" in panel.view.toPlainText()


@pytest.mark.parametrize("name", ["report.pdf", "notes.md"])
def test_the_viewer_never_opens_a_file_that_is_not_regular(qtbot, tmp_path: Path,  # noqa: ANN001
                                                           name: str) -> None:
    """An indexed file replaced by a FIFO: opening its source must not block the window."""
    from assistant.ui.document_viewer import DocumentViewer

    oracle = FifoOracle(tmp_path / name)
    try:
        parsed: list[str] = []

        def parse(path: str) -> Any:
            parsed.append(path)
            raise OSError("the test's parser is not for reading")

        viewer = DocumentViewer(parse=parse)
        qtbot.addWidget(viewer)
        viewer.open_source(citation(str(oracle.path)))
        render(qtbot, viewer)
        qtbot.wait(200)
        assert not oracle.opened() and not parsed
        assert "not a regular file" in viewer.note
        assert "launch code" in viewer.text.toPlainText()  # the passage is still shown
    finally:
        oracle.release()


def test_error_dialogs_show_paths_as_text(qtbot, fifo) -> None:  # noqa: ANN001
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from assistant.ui.untrusted import warn

    def close_it() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.grab()
            QApplication.processEvents()
            box.done(0)
    QTimer.singleShot(300, close_it)
    box = warn(None, "Can't index", f"{fifo.file_name()} cannot be read")
    assert box.textFormat().name == "PlainText"
    assert not fifo.opened()


@pytest.mark.integration
def test_the_window_indexing_and_answering_from_hostile_files_loads_nothing(
        window, engine, qtbot, fifo, tmp_path: Path) -> None:  # noqa: ANN001
    """The reviewer's case end to end: the real window is handed a folder holding a file
    named as an <img>, and a document whose sentence holds a Markdown image; it indexes
    them, answers from them, and shows the conversation again after switching away."""
    from tests.ui.conftest import ask, drop, wait_indexed

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / fifo.file_name()).write_text("# Board\n\nThe board meets on Tuesdays.\n")
    (docs / "falcon.md").write_text(
        "# Project Falcon\n\nThe launch code for Project Falcon is 7731 "
        f"{fifo.image_markdown()}.\n")
    drop(window, [docs])
    wait_indexed(qtbot, engine, 2)
    card = ask(qtbot, window, "What is the launch code for Project Falcon?")
    render(qtbot, window)
    assert not card.error
    conversation = window.conversation_id
    window.new_chat()
    window.open_conversation(conversation)
    render(qtbot, window)
    assert not fifo.opened()
    assert window.chat.answers() and "7731" in window.chat.answers()[-1].body.toPlainText()
