"""The sources of the selected answer: the cited passages first ([n] as in the answer), then
the other passages retrieval offered. Each shows file name, folder, page, heading, the
passage with the question's words highlighted, and why it ranked (fused score, similarity,
keyword and meaning ranks). Clicking one opens it in the document viewer at that place.

Signals:
    open_requested(object): a source dict (path, page, start, end, text) to open
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from assistant.core.text import flat, highlight_spans
from assistant.ui import theme
from assistant.ui.untrusted import InertBrowser

# A Markdown heading's "#"/"##" at the start of a line: the heading path above the passage
# already says where it is, and on one line the marks read as noise ("# Title ## Part").
_HEADING_MARK = re.compile(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+")


def highlight_words(text: str, question: str, color: str) -> str:
    """``text`` as HTML with the terms of ``question`` highlighted, as the text analyzer finds
    them in each language (stems in English, words and bigrams in Chinese...)."""
    spans: list[list[int]] = []
    for start, end in sorted(highlight_spans(text, question)):
        if spans and start <= spans[-1][1]:  # touching terms: one mark, not a seam of many
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    out, last = [], 0
    for start, end in spans:
        out.append(html.escape(text[last:start]))
        out.append(f'<span style="background-color:{color};">'
                   f"{html.escape(text[start:end])}</span>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


class SourcesPanel(QWidget):
    open_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.header = QLabel(self.tr("Sources"))
        self.header.setContentsMargins(8, 6, 8, 2)
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.view = InertBrowser()  # passages are document text: it loads nothing
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.anchorClicked.connect(self._clicked)
        layout.addWidget(self.view)
        self.sources: list[dict[str, Any]] = []
        self.show_answer(None)

    def show_answer(self, card: Any) -> None:
        """Show the sources of an AnswerCard (None: nothing selected)."""
        c = theme.colors()
        self.sources = []
        if card is None:
            self.header.setText("<b>" + html.escape(self.tr("Sources")) + "</b>")
            self.view.setHtml(f'<p style="color:{c.muted}">' + html.escape(self.tr(
                "Ask a question: the passages an answer comes from appear here, one click "
                "from the document.")) + "</p>")
            return
        done = card.done or {}
        cited = list(done.get("citations", []))
        cited_keys = {(s["path"], s["start"]) for s in cited}
        others = [p for p in card.passages if (p["path"], p["start"]) not in cited_keys]
        self.sources = [dict(s, label=f"[{s['n']}]") for s in cited] + \
            [dict(p, label="·") for p in others]
        if done.get("abstained"):
            title = self.tr("Closest passages (they don't answer it)")
        elif cited:
            title = self.tr("{cited} cited, {more} more retrieved").format(
                cited=len(cited), more=len(others))
        else:
            title = (self.tr("1 passage retrieved") if len(others) == 1 else
                     self.tr("{n} passages retrieved").format(n=len(others)))
        self.header.setText("<b>" + html.escape(self.tr("Sources")) + "</b> " +
                            f"<span style='color:{c.muted}'>— "
                            f"{html.escape(title)}</span>")
        blocks = []
        for i, s in enumerate(self.sources):
            blocks.append(self._block(i, s, card.question, c, cited=i < len(cited)))
        self.view.setHtml("".join(blocks) or f'<p style="color:{c.muted}">'
                          + html.escape(self.tr("No passages.")) + "</p>")

    def _block(self, i: int, s: dict[str, Any], question: str, c: Any, cited: bool) -> str:
        path = Path(s["path"])
        page = (" · " + self.tr("page {n}").format(n=s["page"])
                if s.get("page") is not None else "")
        heading = (f'<div style="color:{c.muted}">{html.escape(s["heading"])}</div>'
                   if s.get("heading") else "")
        passage = flat(_HEADING_MARK.sub("", str(s.get("text", ""))))
        if len(passage) > 900:
            passage = passage[:899] + "…"
        why = []
        if s.get("score") is not None and not cited:
            why.append(self.tr("fused {score}").format(score=f"{float(s['score']):.3f}"))
        if cited and s.get("score") is not None:
            why.append(self.tr("support {score}").format(score=f"{float(s['score']):.2f}"))
        if s.get("similarity") is not None:
            why.append(self.tr("similarity {score}").format(
                score=f"{float(s['similarity']):.2f}"))
        if s.get("lexical_rank"):
            why.append(self.tr("keywords #{rank}").format(rank=s["lexical_rank"]))
        if s.get("dense_rank"):
            why.append(self.tr("meaning #{rank}").format(rank=s["dense_rank"]))
        label = (f'<span style="background-color:{c.chip_bg};color:{c.chip_fg};'
                 f'font-weight:600">&nbsp;{html.escape(s["label"].strip("[]"))}&nbsp;</span> '
                 if cited else "")
        return (
            f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-bottom:18px">'
            f"<tr><td>{label}<a href=\"open:{i}\" style=\"font-weight:600;"
            f'text-decoration:none">{html.escape(path.name)}{page}</a></td></tr>'
            f'<tr><td style="color:{c.muted};font-size:small">'
            f"{html.escape(str(path.parent))}</td></tr>"
            f"<tr><td>{heading}</td></tr>"
            f'<tr><td style="padding-top:4px">{highlight_words(passage, question, c.mark_bg)}'
            f"</td></tr>"
            f'<tr><td style="color:{c.muted};font-size:small;padding-top:2px">'
            f'{html.escape(" · ".join(why))}</td></tr></table>'
        )

    def _clicked(self, url: QUrl) -> None:
        if url.scheme() == "open":
            index = int(url.path() or url.toString().split(":")[-1])
            if 0 <= index < len(self.sources):
                self.open_requested.emit(self.sources[index])

    def source_for_citation(self, n: int) -> dict[str, Any] | None:
        for s in self.sources:
            if s.get("n") == n:
                return s
        return None

    def sizeHint(self) -> Any:  # noqa: N802 - Qt
        hint = super().sizeHint()
        hint.setWidth(360)
        return hint

