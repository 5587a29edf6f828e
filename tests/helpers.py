"""Real test documents: PDFs with known text per page, Word files, broken files."""

from __future__ import annotations

from pathlib import Path

from assistant.core.types import FileFailed, IndexSummary


def run(indexer, *paths, **kw) -> tuple[IndexSummary, dict[str, str]]:  # noqa: ANN001
    """One indexing run to its end: its summary, and the reason for each file that failed."""
    events = list(indexer.index(list(paths), **kw))
    failures = {Path(e.path).name: e.reason for e in events if isinstance(e, FileFailed)}
    summary = events[-1]
    assert isinstance(summary, IndexSummary)
    return summary, failures


def make_pdf(path: Path, pages: list[str], title: str | None = None,
             user_password: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        if text:
            pdf.multi_cell(0, 6, text)
        else:  # a page with a drawing and no text, like a scan
            pdf.rect(20, 20, 100, 100, style="F")
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.output(str(path))
    return path


def make_docx(path: Path, blocks: list[tuple[str, str]]) -> Path:
    """``blocks``: (style, text) with style 'h1', 'h2' or 'p'."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style.startswith("h"):
            document.add_heading(text, level=int(style[1]))
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


# Five pages, one distinct fact each, so a question can be checked against its page.
FACT_PAGES = [
    "Page one introduces the Lighthouse Project, a survey of coastal lighthouses in Norway.",
    "The survey team visited forty-two lighthouses during the summer of 2019.",
    "The oldest lighthouse in the survey is Lindesnes. The Lindesnes lighthouse was first lit "
    "in 1656. Its current cast-iron tower dates from 1915.",
    "Funding came from the Coastal Heritage Foundation, which contributed 3.2 million kroner.",
    "The final report recommends automating the remaining staffed stations by 2030.",
]


def consistent(services) -> bool:  # noqa: ANN001
    """Catalog, full-text index and vector store hold exactly the same chunks."""
    ids = services.catalog.chunk_ids()
    return services.store.ids() == ids and services.catalog.fts_count() == len(ids)
