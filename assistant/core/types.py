"""Plain data passed between the engine's parts and out to the CLI and the UI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A run of extracted text with one location: a PDF page, or a part under one heading.

    ``offset`` is where ``text`` starts in the whole document's extracted text.
    """

    text: str
    offset: int
    page: int | None = None
    heading: str = ""


@dataclass(frozen=True)
class Document:
    path: str
    title: str
    sections: list[Section]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document small enough for the embedding model to read whole."""

    ordinal: int
    text: str
    start: int  # character offsets in the document's extracted text
    end: int
    page: int | None
    heading: str
    context: str  # title and heading path, embedded and searched with the text
    # Word pieces the encoder reads for it (context and text, without [CLS]/[SEP]); 0 when
    # not known (chunks read back from the catalog).
    tokens: int = 0


@dataclass
class Passage:
    """A retrieved chunk with where it came from and how it ranked."""

    chunk_id: str
    path: str
    page: int | None
    start: int
    end: int
    text: str
    heading: str = ""
    context: str = ""
    score: float = 0.0  # fused (RRF) score
    similarity: float | None = None  # cosine similarity to the question
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def location(self) -> str:
        return f"{self.path}:{self.page}" if self.page is not None else self.path

    def to_json(self, rank: int) -> dict[str, Any]:
        return {
            "rank": rank,
            "path": self.path,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "heading": self.heading,
            "text": self.text,
            "score": round(self.score, 6),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "dense_rank": self.dense_rank,
            "lexical_rank": self.lexical_rank,
            "chunk_id": self.chunk_id,
        }


@dataclass
class Citation:
    """A source backing part of an answer; ``n`` is its number in the answer text."""

    n: int
    path: str
    page: int | None
    start: int
    end: int
    text: str
    score: float  # how well the passage supports the answer sentences citing it (0..1)
    heading: str = ""
    # Why this passage: its retrieval scores and ranks (keywords = BM25, meaning = dense).
    fused_score: float | None = None
    similarity: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def location(self) -> str:
        return f"{self.path}:{self.page}" if self.page is not None else self.path

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("score", "fused_score", "similarity"):
            if d[key] is not None:
                d[key] = round(d[key], 4)
        return d


# Answer events -------------------------------------------------------------------

LOADING, READY, FAILED, UNLOADED = "loading", "ready", "failed", "unloaded"


@dataclass
class ModelState:
    """The language model's state changed: loading, ready, failed (``reason`` says why)."""

    state: str
    model: str
    reason: str = ""
    seconds: float = 0.0



@dataclass
class SourcesFound:
    passages: list[Passage]


@dataclass
class TokenStreamed:
    text: str


@dataclass
class AnswerDone:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    timings: dict[str, float]
    reason: str = ""  # why the assistant abstained, when it did
    draft: str = ""  # the model's own text when the engine replaced it with an abstention
    unsupported: list[str] = field(default_factory=list)  # answer clauses no source holds
    cancelled: bool = False  # stopped by the user: ``answer`` is what was written until then
    # Why this answer: each answer sentence with the sources backing it, and the evidence's
    # confidence signals that decided between answering, quoting and "not found".
    sentences: list[dict[str, Any]] = field(default_factory=list)
    confidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "confidence": self.confidence,
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "cancelled": self.cancelled,
            "reason": self.reason,
            "citations": [c.to_json() for c in self.citations],
            "unsupported_claims": self.unsupported,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


AnswerEvent = SourcesFound | ModelState | TokenStreamed | AnswerDone


# Indexing events -----------------------------------------------------------------


@dataclass
class IndexProgress:
    files_done: int
    files_total: int
    current: str
    chunks_embedded: int
    chunks_per_s: float
    eta_s: float | None
    errors: int


@dataclass
class FileFailed:
    path: str
    reason: str
    message: str


@dataclass
class IndexSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    failed: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    errors: list[FileFailed] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("errors")
        d["seconds"] = round(self.seconds, 3)
        return d


IndexEvent = IndexProgress | FileFailed | IndexSummary


@dataclass
class RebuildStarted:
    """Settings changed: a new index is being built while the current one answers."""

    files: int
    chunks_estimate: int
    seconds_estimate: float


@dataclass
class RebuildDone:
    files: int
    embedded_chunks: int
    seconds: float


# Writer lane events ----------------------------------------------------------------


@dataclass
class RebuildProgress:
    """Progress of the background rebuild (the active index keeps answering meanwhile)."""

    progress: IndexProgress


@dataclass
class WriterState:
    """What the writer lane is doing: ``idle``, ``indexing``, ``paused``, ``stopping``,
    ``stopped``, or ``failed`` (``detail`` says why)."""

    state: str
    detail: str = ""


@dataclass
class RequestDone:
    """A request to the writer lane finished (``error`` empty when it went well)."""

    request_id: int
    kind: str
    summary: IndexSummary | None = None
    error: str = ""
    cancelled: bool = False
