"""Pictures of the real app, for the README and for looking at it before a change lands.

    python scripts/screenshot.py OUTDIR [--dark]   (re-runs itself under xvfb-run when
                                                   there is no display)

Starts the app (real engine, real models from models/) on a fresh data folder with the
sample documents and a broken PDF, drives it the way a user would, and saves PNGs of: the
first run, a streamed answer with its sources, the PDF viewer on a cited page with the
passage highlighted, the library with a failed file, the settings, "Not in your
documents", the quick-ask popup with an answer, the tray menu, the Desktop settings and
the model-server settings (a tray host, trayer, is started when there is one); then, with the
window in Chinese, a Chinese conversation with its sources (a Markdown article from the XQuAD
Chinese set) and the PDF viewer on the cited page of a Chinese PDF (made here with fpdf2 and
an installed CJK font), the passage highlighted.

    --chinese   only the Chinese pictures (11, 12)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUESTION = "How long does hot composting take to produce finished compost?"
XQUAD_ZH = REPO.parent / "shared" / "eval" / "multilingual" / "xquad-3articles.zh.json"
QUESTION_ZH = "利用计算复杂性理论对计算问题进行分类的主要依据是什么？"
QUESTION_ZH_PDF = "在罗洛大军到来之前，诺曼底的人口被视为什么人？"
UNANSWERABLE = "What is the population of Ulaanbaatar?"


def main() -> int:
    args = [a for a in sys.argv[1:] if a not in ("--dark", "--chinese")]
    if len(args) != 1:
        print(__doc__)
        return 2
    out = Path(args[0]).resolve()
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        if not shutil.which("xvfb-run"):
            print("no display and no xvfb-run (apt-get install xvfb)", file=sys.stderr)
            return 1
        return subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1440x900x24",
                                sys.executable, __file__, *sys.argv[1:]])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.pop("QT_QPA_PLATFORM", None)
    home = Path(tempfile.mkdtemp(prefix="assistant-shots-"))
    os.environ["ASSISTANT_HOME"] = str(home)
    try:
        return shoot(out, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def wait(app, predicate, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.6) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def shoot(out: Path, home: Path) -> int:
    from PySide6.QtWidgets import QTabWidget

    from assistant.config import load_settings
    from assistant.ui.app import make_app
    from assistant.ui.engine import AppEngine
    from assistant.ui.main_window import MainWindow
    from assistant.ui.settings_dialog import SettingsDialog

    if "--dark" in sys.argv:  # as if the system were set to dark
        os.environ["ASSISTANT_THEME"] = "dark"
    tray_host = None
    if shutil.which("trayer") and os.environ.get("DISPLAY"):
        tray_host = subprocess.Popen(["trayer", "--edge", "top", "--align", "right"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    app = make_app([sys.argv[0]])
    if "--chinese" in sys.argv:
        engine = AppEngine(load_settings())
        engine.preload()
        shoot_chinese(app, out, home, engine)
        engine.close()
        return 0
    docs = home / "Documents"
    shutil.copytree(REPO / "resources" / "sample-docs", docs)
    (docs / "scanned-invoice.pdf").write_bytes(b"%PDF-1.4\n% a damaged download\n")

    # 1. First run: no model yet, nothing indexed.
    empty_models = home / "no-models"
    empty_models.mkdir()
    first = AppEngine(load_settings(llm={"models_dir": str(empty_models)}))
    window = MainWindow(first)
    window.show()
    settle(app, 1.0)
    window.grab().save(str(out / "01-first-run.png"))
    window.quit_on_close = False
    window.quit_app()  # gone for good (its shortcut and tray icon with it)
    first.close()

    # 2. A streamed answer with its sources.
    engine = AppEngine(load_settings())
    window = MainWindow(engine)
    window.quit_on_close = False
    window.show()
    engine.preload()
    window.add_paths([docs])
    wait(app, lambda: engine.services.catalog.counts()["files"] >= 4 and
         engine.writer.state == "idle", 300)
    settle(app)
    finished: list = []
    window.answer_finished.connect(finished.append)
    window.question.setPlainText(QUESTION)
    window.send()
    wait(app, lambda: finished, 300)
    settle(app)
    window.grab().save(str(out / "02-answer-with-sources.png"))

    # 3. The cited page of the PDF, passage highlighted.
    card = finished[-1]
    cites = (card.done or {}).get("citations", [])
    pdf = next((c for c in cites if str(c["path"]).endswith(".pdf")), None)
    opened: list = []
    window.viewer.opened.connect(opened.append)
    if pdf is not None:
        window.open_citation(card, pdf["n"])
    else:  # the answer cited no PDF: open the best PDF passage from the sources
        source = next(s for s in window.sources.sources if str(s["path"]).endswith(".pdf"))
        window.open_source(source)
    wait(app, lambda: opened, 30)
    settle(app)
    window.grab().save(str(out / "03-pdf-viewer-on-cited-page.png"))

    # 4. The library with a file that could not be read.
    library = window.show_library()
    library.filter.setCurrentIndex(0)
    library.resize(900, 420)
    settle(app)
    library.grab().save(str(out / "04-library-with-failed-file.png"))
    library.close()

    # 5. Settings.
    dialog = SettingsDialog(engine.settings, parent=window)
    dialog.show()
    settle(app)
    dialog.grab().save(str(out / "05-settings.png"))
    dialog.close()

    # 6. A question the documents don't answer.
    window.question.setPlainText(UNANSWERABLE)
    window.send()
    wait(app, lambda: len(finished) >= 2, 300)
    settle(app)
    window.grab().save(str(out / "06-not-in-your-documents.png"))

    # 7. The quick-ask popup with a streamed answer and its compact sources.
    quick = window.show_quick_ask()
    quick_done: list = []
    quick.answer_finished.connect(quick_done.append)
    quick.question.setText("How much household rubbish could be composted?")
    quick.ask()
    wait(app, lambda: quick_done, 300)
    settle(app)
    quick.grab().save(str(out / "07-quick-ask-popup.png"))
    quick.dismiss()

    # 8. The tray menu (the same menu whether or not a tray host shows the icon).
    menu = window.tray.menu if window.tray is not None else None
    if menu is not None:
        from PySide6.QtCore import QPoint

        window.tray.set_state("indexing", "12 files left, about 1 min")
        menu.popup(QPoint(1000, 40))
        settle(app)
        menu.grab().save(str(out / "08-tray-menu.png"))
        menu.hide()
        window.tray.set_state("idle", "Up to date")
    else:
        print("no tray here (install trayer for the tray menu picture)", file=sys.stderr)

    # 9. The Desktop settings: shortcut and its status, the fallback command, login start.
    dialog = SettingsDialog(engine.settings, parent=window,
                            shortcut_status=window.shortcut.status)
    tabs = dialog.findChild(QTabWidget)
    tabs.setCurrentIndex(tabs.count() - 1)
    dialog.show()
    settle(app)
    dialog.grab().save(str(out / "09-settings-desktop.png"))
    dialog.close()

    # 10. The model on a server: address, model name, the key kept in the keychain.
    dialog = SettingsDialog(engine.settings, parent=window)
    dialog.backend.setCurrentIndex(dialog.backend.findData("openai"))
    dialog.show()
    settle(app)
    dialog.grab().save(str(out / "10-settings-model-server.png"))
    dialog.close()

    window.quit_app()
    shoot_chinese(app, out, home, engine)
    engine.close()
    if tray_host is not None:
        tray_host.terminate()
    print(f"saved {len(list(out.glob('*.png')))} pictures in {out}")
    return 0


def chinese_documents(folder: Path) -> None:
    """A Chinese Markdown article and a three-page Chinese PDF, from XQuAD's Chinese text
    (Wikipedia paragraphs): 计算复杂性理论.md and 诺曼人.pdf."""
    import json

    articles = {a["title"]: [p["context"] for p in a["paragraphs"]]
                for a in json.loads(XQUAD_ZH.read_text(encoding="utf-8"))["data"]}
    folder.mkdir(parents=True, exist_ok=True)
    complexity = articles["Computational_complexity_theory"]
    sections = ["概述", "计算问题", "问题实例", "问题的表示", "判定问题"]
    text = "# 计算复杂性理论\n\n" + "".join(
        f"## {title}\n\n{para}\n\n" for title, para in zip(sections, complexity, strict=False))
    (folder / "计算复杂性理论.md").write_text(text, encoding="utf-8")

    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", fname=cjk_font())
    pdf.add_font("latin", fname=latin_font())
    pdf.set_fallback_fonts(["latin"])
    for number, para in enumerate(articles["Normans"][:3], start=1):
        pdf.add_page()
        pdf.set_font("cjk", size=18)
        pdf.multi_cell(0, 12, "诺曼人" if number == 1 else f"诺曼人（第 {number} 部分）")
        pdf.ln(4)
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(0, 8, para, align="L", wrapmode="CHAR")  # CJK lines break anywhere
    pdf.output(str(folder / "诺曼人.pdf"))


def chinese_paragraph(title: str, index: int) -> str:
    import json

    data = json.loads(XQUAD_ZH.read_text(encoding="utf-8"))["data"]
    return next(a for a in data if a["title"] == title)["paragraphs"][index]["context"]


def _font_file(family: str) -> str:
    path = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True,
                          text=True, check=True).stdout
    if not path:
        raise SystemExit(f"no font for {family} (python -m assistant.syslibs --for tests "
                         "--install)")
    return path


def cjk_font() -> str:
    """A TrueType CJK font for fpdf2: Noto CJK ships as OpenType collections whose CFF outlines
    fpdf2 embeds so that pypdf reads a space between every character, so a TrueType one
    (Droid Sans Fallback, WenQuanYi) is preferred where installed."""
    for family in ("Droid Sans Fallback", "WenQuanYi Zen Hei", "Noto Sans CJK SC"):
        path = _font_file(family)
        if family.split()[0].lower() in Path(path).name.lower():
            return path
    return _font_file("Noto Sans CJK SC")


def latin_font() -> str:
    return _font_file("DejaVu Sans")


def shoot_chinese(app, out: Path, home: Path, engine) -> None:  # noqa: ANN001
    """11: a Chinese conversation with its sources; 12: the cited page of a Chinese PDF."""
    from PySide6.QtCore import QLocale

    from assistant.ui import i18n
    from assistant.ui.main_window import MainWindow

    i18n.install(app, QLocale("zh_CN"))  # the window as a Chinese desktop shows it
    docs = home / "中文资料"
    chinese_documents(docs)
    window = MainWindow(engine)
    window.quit_on_close = False
    window.show()
    before = engine.services.catalog.counts()["files"]
    window.add_paths([docs])
    wait(app, lambda: engine.services.catalog.counts()["files"] >= before + 2 and
         engine.writer.state == "idle", 300)
    settle(app)
    finished: list = []
    window.answer_finished.connect(finished.append)
    window.question.setPlainText(QUESTION_ZH)
    window.send()
    wait(app, lambda: finished, 300)
    settle(app)
    window.grab().save(str(out / "11-chinese-answer-with-sources.png"))

    window.new_chat()
    window.question.setPlainText(QUESTION_ZH_PDF)
    window.send()
    wait(app, lambda: len(finished) >= 2, 300)
    settle(app)
    card = finished[-1]
    cites = (card.done or {}).get("citations", [])
    pdf = next((c for c in cites if str(c["path"]).endswith(".pdf")), None)
    opened: list = []
    window.viewer.opened.connect(opened.append)
    if pdf is not None:
        window.open_citation(card, pdf["n"])
    else:  # no PDF cited: the best PDF passage among the sources
        source = next((s for s in window.sources.sources if str(s["path"]).endswith(".pdf")),
                      None)
        if source is None:  # retrieval found none: the PDF's passage itself, as the viewer
            print("the answer's sources hold no PDF passage: opening 诺曼人.pdf's first page",
                  file=sys.stderr)
            source = {"path": str(docs / "诺曼人.pdf"), "page": 1, "start": 0, "end": 0,
                      "text": chinese_paragraph("Normans", 0)}
        window.open_source(source)
    wait(app, lambda: opened, 30)
    settle(app)
    window.grab().save(str(out / "12-chinese-pdf-on-cited-page.png"))
    print(f"viewer: page {window.viewer.current_page}, highlighted {window.viewer.highlighted}"
          f" {window.viewer.note!r}")
    window.quit_app()
    i18n.install(app, QLocale("en"))


if __name__ == "__main__":
    raise SystemExit(main())
