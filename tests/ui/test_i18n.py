"""The window in Chinese: its strings come from assistant_zh_CN.ts, and no string marked for
translation in the UI can be left out of it."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from assistant.ui import i18n  # noqa: E402

TS = i18n.HERE / "assistant_zh_CN.ts"
QM = TS.with_suffix(".qm")


def messages(ts: Path) -> dict[tuple[str, str], str | None]:
    """(context, source) -> translation (None when unfinished)."""
    out: dict[tuple[str, str], str | None] = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for m in context.iter("message"):
            tr = m.find("translation")
            done = tr is not None and tr.get("type") not in ("unfinished", "vanished",
                                                              "obsolete") and bool(tr.text)
            out[(name, m.findtext("source") or "")] = tr.text if done else None
    return out


@pytest.fixture
def chinese(qapp):  # noqa: ANN001, ANN201
    from PySide6.QtCore import QLocale

    from assistant.ui.app import make_app

    app = make_app()
    assert i18n.install(app, QLocale("zh_CN")).endswith("assistant_zh_CN.qm")
    yield app
    i18n.install(app, QLocale("en"))  # back to English (removes the translators)


def test_every_marked_string_has_a_chinese_translation(tmp_path: Path) -> None:
    """pyside6-lupdate extracts every tr()/translate() string of assistant/ui into a fresh
    .ts; each must be translated in the committed one (``python -m assistant.ui.i18n update``
    adds new ones, unfinished, to fill in)."""
    fresh = tmp_path / "fresh.ts"
    subprocess.run([i18n.tool("lupdate"), "-silent", "-no-obsolete", "-locations", "none",
                    *map(str, i18n.sources()), "-ts", str(fresh)], check=True)
    marked = messages(fresh)
    assert len(marked) > 200  # the extraction found the UI's strings
    translated = messages(TS)
    missing = sorted(k for k in marked if not translated.get(k))
    assert not missing, f"not translated in {TS.name}: {missing}"
    for (context, source), text in translated.items():
        if (context, source) in marked and text:  # the placeholders survive translation
            assert sorted(_fields(source)) == sorted(_fields(text)), (context, source, text)


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]


def test_the_committed_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    fresh = i18n.release(TS, tmp_path / "fresh.qm")
    assert fresh.read_bytes() == QM.read_bytes(), (
        "assistant_zh_CN.qm is older than its .ts: run `python -m assistant.ui.i18n release`")


def test_the_language_follows_the_system_and_the_override(monkeypatch) -> None:  # noqa: ANN001
    from PySide6.QtCore import QLocale

    monkeypatch.delenv("ASSISTANT_LANG")
    assert i18n.wanted_locale({}, saved="").name() == QLocale.system().name()
    assert i18n.wanted_locale({"ASSISTANT_LANG": "zh_CN.UTF-8"}, saved="").name() == "zh_CN"
    assert i18n.wanted_locale({"ASSISTANT_LANG": "zh-CN"}, saved="").name() == "zh_CN"
    assert i18n.wanted_locale({}, saved="zh_CN").name() == "zh_CN"
    assert i18n.wanted_locale({"ASSISTANT_LANG": "en"}, saved="zh_CN").language() == \
        QLocale.Language.English
    i18n.save_choice("zh_CN")
    assert i18n.saved_choice() == "zh_CN" and i18n.wanted_locale({}).name() == "zh_CN"


def test_the_system_locale_picks_chinese(qapp, monkeypatch) -> None:  # noqa: ANN001
    """LANGUAGE/LC_ALL as a Chinese desktop sets them: QLocale.system() reads them at start,
    so a fresh process shows it."""
    import os
    import sys

    env = dict(os.environ, LC_ALL="zh_CN.UTF-8", LANGUAGE="zh_CN:zh", LANG="zh_CN.UTF-8")
    env.pop("ASSISTANT_LANG", None)
    code = ("from assistant.ui.app import make_app; from assistant.ui import i18n; "
            "from assistant.ui.chat_view import EmptyState; make_app([]); "
            "empty = EmptyState(); print(i18n.language(), empty.title.text())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split() == ["zh_CN", "向您的文档提问"], out.stderr


def test_widgets_speak_chinese(chinese, qtbot, assistant_home: Path) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QDialogButtonBox

    from assistant.config import load_settings
    from assistant.ui.chat_view import AnswerCard, EmptyState
    from assistant.ui.document_viewer import DocumentViewer
    from assistant.ui.library_view import LibraryView
    from assistant.ui.quick_ask import QuickAsk
    from assistant.ui.settings_dialog import SettingsDialog
    from assistant.ui.sources_panel import SourcesPanel
    from assistant.ui.tray import Tray

    card = AnswerCard("问题")
    qtbot.addWidget(card)
    assert card.badge.text() == "正在查找您的文档…"
    card.passages = [{"path": "/d/简介.md", "page": None, "text": "单节点吞吐量提升200%",
                      "start": 0}]
    card.finish({"answer": "提升了200% [1]", "citations": [
        {"n": 1, "path": "/d/简介.md", "page": 2, "start": 0, "text": "单节点吞吐量提升200%"}]})
    assert card.badge.text() == "来自 1 个文件中的 1 个段落"
    assert card.copy_button.text() == "复制" and card.regenerate_button.text() == "重新生成"
    assert "[1] 简介.md，第 2 页" in card.sources_text()
    abstained = AnswerCard("问题")
    qtbot.addWidget(abstained)
    abstained.finish({"abstained": True, "answer": "…", "reason": "judged"})
    assert abstained.badge.text() == "您的文档中没有答案"

    panel = SourcesPanel()
    qtbot.addWidget(panel)
    assert panel.header.text() == "<b>出处</b>"
    panel.show_answer(card)
    assert "引用 1 个，另检索到 0 个" in panel.header.text()
    assert "第 2 页" in panel.view.toPlainText()
    assert EmptyState().title.text() == "向您的文档提问"

    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "设置"
    buttons = dialog.findChild(QDialogButtonBox)
    assert sorted(b.text() for b in buttons.buttons()) == sorted(["保存", "取消"])  # qtbase
    assert dialog.language.findData("zh_CN") >= 0

    library = LibraryView(lambda: None)
    qtbot.addWidget(library)
    assert library.windowTitle() == "文档库"
    assert library.table.horizontalHeaderItem(2).text() == "状态"
    assert library.filter.itemText(1) == "失败"

    viewer = DocumentViewer(lambda path: None)
    qtbot.addWidget(viewer)
    assert viewer.title.text() == "未打开文档" and viewer.open_button.text() == "用默认应用打开"
    quick = QuickAsk(engine=None)
    qtbot.addWidget(quick)
    assert quick.continue_button.text() == "在窗口中继续"
    tray = Tray()
    assert [a.text() for a in (tray.ask_action, tray.open_action, tray.quit_action)] == [
        "提问…", "打开助手", "退出"]


def test_main_window_speaks_chinese(chinese, engine, qtbot) -> None:  # noqa: ANN001
    from assistant.ui.main_window import MainWindow

    window = MainWindow(engine)
    window.quit_on_close = False
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "助手"
    assert window.send_button.text() == "发送"
    assert [window.side.tabText(i) for i in range(window.side.count())] == ["出处", "文档"]
    assert [m.title() for m in (a.menu() for a in window.menuBar().actions())] == [
        "文件(&F)", "编辑(&E)", "视图(&V)"]
    assert window.question.placeholderText().startswith("就您的文档提问")
    assert window.conversations.new_button.text() == "新对话"
    assert window.chat.empty.title.text() == "向您的文档提问"


def test_lupdate_and_lrelease_come_with_pyside6() -> None:
    assert Path(i18n.tool("lupdate")).exists() and Path(i18n.tool("lrelease")).exists()
    assert shutil.which(i18n.tool("lrelease"))
