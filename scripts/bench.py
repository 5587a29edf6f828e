"""Benchmarks, printed as one JSON object. Figures live here, not in timed tests.

    python scripts/bench.py [--data ../shared/eval/squad2-dev.json] [--queries 50] [--answers 5]

- indexing: chunks/s through the whole indexer, and its ratio to a bare
  ``SentenceTransformer.encode`` (or the e5 embedder's own ``encode``) of the same chunk
  texts in the same run (model loaded first); ``--embedder-compare``: multilingual-e5-small
  against all-MiniLM-L6-v2 indexing the same corpus (chunks/s, in the order A B B A);
- retrieval: query latency p50/p95 (embed + dense + BM25 + fusion);
- rescan: a second pass over N unchanged files (time, files/s);
- watch latency: from saving an edited file to its new text being searchable;
- generation: time to first token and tokens/s through the answer pipeline, and their ratios
  to a bare llama-cpp-python chat completion on the same prompt with the same parameters;
- window start-up: from launching the app to its window shown and taking typing, and to the
  first question being answerable (embedder and language model loaded in the background).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "eval" / "squad2-dev.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def write_corpus(data_file: Path | None, folder: Path) -> list[str]:
    """One file per paragraph (many small documents); returns questions to query with."""
    if data_file and data_file.is_file():
        data = json.loads(data_file.read_text(encoding="utf-8"))
        questions = []
        for article in data["data"]:
            for i, para in enumerate(article["paragraphs"]):
                name = re.sub(r"\W+", "_", article["title"]) + f"-{i:03d}.txt"
                (folder / name).write_text(para["context"], encoding="utf-8")
                questions += [qa["question"] for qa in para["qas"]]
        return questions
    import shutil

    for f in (REPO / "resources" / "sample-docs").iterdir():
        shutil.copy(f, folder / f.name)
    return ["How long does hot composting take?", "How often should I oil a bike chain?",
            "How do I store a sourdough starter?", "When should I repot a plant?"]


def eval_sentences(data_file: Path | None) -> list[str]:
    """Real sentences to build corpora from (the eval data's, else the sample documents')."""
    if data_file and data_file.is_file():
        data = json.loads(data_file.read_text(encoding="utf-8"))
        text = " ".join(p["context"] for a in data["data"] for p in a["paragraphs"])
    else:
        text = " ".join(f.read_text(errors="ignore") for f in
                        (REPO / "resources" / "sample-docs").glob("*.md"))
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 20]


def write_small_files(sentences: list[str], folder: Path, n: int = 300) -> Path:
    """``n`` Markdown notes of 1-8 paragraphs of 1-9 sentences: many small, mixed files."""
    import random

    rng = random.Random(3)
    folder.mkdir(parents=True)
    for f in range(n):
        paras = [" ".join(rng.sample(sentences, rng.choice([1, 2, 4, 6, 9])))
                 for _ in range(rng.choice([1, 1, 2, 3, 5, 8]))]
        (folder / f"note-{f:03d}.md").write_text(f"# Note {f}\n\n" + "\n\n".join(paras))
    return folder


def write_large_pdfs(sentences: list[str], folder: Path, n: int = 3, pages: int = 60) -> Path:
    """``n`` PDFs of ``pages`` pages of text each (fpdf2, a dev dependency)."""
    import random

    from fpdf import FPDF

    rng = random.Random(4)
    folder.mkdir(parents=True)
    for f in range(n):
        pdf = FPDF(format="A4")
        for _ in range(pages):
            pdf.add_page()
            pdf.set_font("Helvetica", "", 10)
            text = " ".join(rng.sample(sentences, 14))
            pdf.multi_cell(0, 5, text.encode("latin-1", "replace").decode("latin-1"))
        pdf.output(str(folder / f"report-{f}.pdf"))
    return folder


def token_figures(services) -> dict:
    """What the encoder was made to read for the indexed text: tokens per 1,000 characters
    of source text, the share spent on overlap between neighbouring chunks and on the
    title/heading prefix, and the share of padding in the batches the indexer forms (its
    flushes sorted longest first, ``embedding.batch_size`` at a time)."""
    from assistant.core.indexer import LATER_FLUSH_FACTOR

    rows = services.catalog.db.execute(
        'SELECT file_id, start, "end", context, text FROM chunks ORDER BY file_id, ordinal'
    ).fetchall()
    if not rows:
        return {}
    embedder = services.embedder
    limit = embedder.max_seq_length
    if is_sentence_transformers(embedder):
        tokenizer = embedder.model.tokenizer

        def count(texts: list[str]) -> list[int]:
            ids = tokenizer(texts, add_special_tokens=True, truncation=True,
                            max_length=limit)["input_ids"]
            return [len(i) for i in ids]
    else:  # e5: its own tokens, with <s>, </s> and the "passage: " prefix
        from assistant.core.e5_embedding import SPECIAL_AND_PREFIX as extra

        def count(texts: list[str]) -> list[int]:
            return [min(limit, embedder.count_tokens(t) + extra) for t in texts]

    embedded = count([f"{c}\n{x}" if c else x for _, _, _, c, x in rows])
    contexts = [c for _, _, _, c, _ in rows]
    prefix = [n - 2 for n in count([c for c in contexts if c])]
    # Source characters: each file's union of chunk spans; overlap: chunk characters that
    # the previous chunk of the same file already covered.
    source = overlap = chunk_chars = 0
    last_file, reach = None, 0
    for file_id, start, end, _, _ in rows:
        chunk_chars += end - start
        if file_id != last_file:
            last_file, reach = file_id, 0
        overlap += max(0, min(end, reach) - start)
        source += max(0, end - max(start, reach))
        reach = max(reach, end)
    batch = max(1, services.embedder.batch_size)
    first = services.indexer.flush_chunks
    padded = 0
    pos = 0
    while pos < len(embedded):
        size = first if pos == 0 else first * LATER_FLUSH_FACTOR
        flush = sorted(embedded[pos:pos + size], reverse=True)
        for b in range(0, len(flush), batch):
            part = flush[b:b + batch]
            padded += part[0] * len(part)
        pos += size
    total = sum(embedded)
    return {
        "source_chars": source,
        "tokens_embedded": total,
        "tokens_per_1000_chars": round(1000 * total / max(1, source), 1),
        "overlap_share_of_chars": round(overlap / max(1, chunk_chars), 3),
        "prefix_share_of_tokens": round(sum(prefix) / max(1, total), 3),
        "special_token_share": round(2 * len(rows) / max(1, total), 3),
        "padding_share_in_batches": round(1 - total / max(1, padded), 3),
        "mean_tokens_per_chunk": round(total / len(rows), 1),
        "chunks_at_the_encoder_limit": sum(1 for n in embedded if n >= limit),
    }


def write_holdout_like(data_file: Path, folder: Path, docs: int = 300) -> Path:
    """A corpus shaped like the issue's hold-out one: every article of the eval data as
    Markdown and as a PDF, plus ``docs`` package documentation files of this machine
    (Markdown, reStructuredText and text files from the virtual environment's packages and
    /usr/share/doc, 1-80 KB, in sorted order; which ones depends on what is installed)."""
    import shutil

    from fpdf import FPDF

    folder.mkdir(parents=True)
    data = json.loads(data_file.read_text(encoding="utf-8"))
    for article in data["data"]:
        title = article["title"].replace("_", " ")
        paras = [p["context"].strip() for p in article["paragraphs"]]
        name = re.sub(r"\W+", "_", article["title"])
        (folder / f"{name}.md").write_text(f"# {title}\n\n" + "\n\n".join(paras) + "\n",
                                           encoding="utf-8")
        pdf = FPDF(format="A4")
        pdf.add_page()
        pdf.set_font("Helvetica", "", 10)
        for para in paras:
            pdf.multi_cell(0, 5, para.encode("latin-1", "replace").decode("latin-1"))
            pdf.ln(3)
        pdf.output(str(folder / f"{name}.pdf"))
    roots = [Path(sys.prefix), Path("/usr/share/doc")]
    found: list[Path] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if (path.suffix.lower() in (".md", ".rst", ".txt") or path.name.startswith("README")) \
                    and path.is_file() and not path.is_symlink() \
                    and 1_000 <= path.stat().st_size <= 80_000 and "test" not in path.parts:
                found.append(path)
    (folder / "docs").mkdir()
    for i, path in enumerate(found[:docs]):
        suffix = path.suffix if path.suffix.lower() in (".md", ".rst", ".txt") else ".txt"
        shutil.copy(path, folder / "docs" / f"{i:03d}-{path.stem[:40]}{suffix}")
    return folder


def bench_indexing(services, docs: Path) -> dict:
    services.embedder.encode(["warm up"])  # load the model outside the timings
    index_s, summary = timed_index(services, docs)
    texts = indexed_texts(services)

    # Each yardstick is timed right after the indexing and once more after the rescan (A B,
    # rescan, B A), and its two timings are averaged: this machine's speed drifts by up to
    # 15% between minutes, and one timing on one side of the indexing made the ratio move
    # by as much.
    raw_after, sorted_after = bare_encode(services, texts), sorted_encode(services, texts)
    rescan_s, again = timed_index(services, docs)
    sorted_later, raw_later = sorted_encode(services, texts), bare_encode(services, texts)
    index_rate = summary.embedded_chunks / index_s
    raw_rate = encode_rate(texts, raw_after, raw_later)
    sorted_rate = encode_rate(texts, sorted_after, sorted_later)
    return {
        "files": summary.added, "chunks": summary.embedded_chunks,
        "seconds": round(index_s, 3), "chunks_per_s": round(index_rate, 1),
        "raw_encode_chunks_per_s": round(raw_rate, 1),
        "raw_encode_chunks_per_s_each": [round(len(texts) / raw_after, 1),
                                         round(len(texts) / raw_later, 1)],
        "ratio_to_raw_encode": round(index_rate / raw_rate, 3),
        "sorted_encode_chunks_per_s": round(sorted_rate, 1),
        "ratio_to_sorted_encode": round(index_rate / sorted_rate, 3),
        "unchanged_rescan_seconds": round(rescan_s, 3),
        "unchanged_rescan_embedded": again.embedded_chunks,
        "tokens": token_figures(services),
    }


def indexed_texts(services) -> list[str]:  # noqa: ANN001
    """The texts the indexer gave the encoder: each chunk with its title/heading prefix."""
    rows = services.catalog.db.execute("SELECT context, text FROM chunks").fetchall()
    return [f"{c}\n{x}" if c else x for c, x in rows]


def is_sentence_transformers(embedder) -> bool:  # noqa: ANN001
    from assistant.core.e5_embedding import E5Embedder

    return not isinstance(embedder, E5Embedder)


def bare_encode(services, texts: list[str]) -> float:  # noqa: ANN001
    """Seconds for one sentence-transformers encode call of ``texts`` (it sorts them by
    length itself), in the indexer's batch size: the speed the indexer is measured against
    (e5: its embedder's encode, which has no padding to sort against)."""
    t = time.perf_counter()
    if is_sentence_transformers(services.embedder):
        services.embedder.model.encode(texts, batch_size=services.embedder.batch_size,
                                       normalize_embeddings=True, show_progress_bar=False)
    else:
        services.embedder.encode(texts)
    return time.perf_counter() - t


def encode_rate(texts: list[str], *seconds: float) -> float:
    """Chunks per second of a yardstick timed once per ``seconds`` over ``texts``."""
    return len(seconds) * len(texts) / sum(seconds)


def sorted_encode(services, texts: list[str]) -> float:  # noqa: ANN001
    """Seconds to encode ``texts`` sorted by their length in word pieces, the indexer's batch
    size at a time: a stricter yardstick than :func:`bare_encode`, whose sort by characters
    leaves more padding in its batches (counting the word pieces is not timed)."""
    embedder = services.embedder
    if is_sentence_transformers(embedder):
        tokenizer = embedder.model.tokenizer
        pieces = [len(i) for i in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    else:
        pieces = [embedder.count_tokens(t) for t in texts]
    ordered = [t for _, t in sorted(zip(pieces, texts, strict=True), reverse=True)]
    step = max(1, embedder.batch_size)
    t = time.perf_counter()
    for i in range(0, len(ordered), step):
        if is_sentence_transformers(embedder):
            embedder.model.encode(ordered[i:i + step], batch_size=step,
                                  normalize_embeddings=True, show_progress_bar=False)
        else:
            embedder.encode(ordered[i:i + step])
    return time.perf_counter() - t


def bench_embedders(tmp: Path, docs: Path) -> dict:
    """multilingual-e5-small against all-MiniLM-L6-v2 indexing the same files, each on a
    fresh index, in the order A B B A (this machine's speed drifts between minutes); each
    model is loaded before its timings."""
    from assistant.core.e5_embedding import E5Embedder
    from assistant.core.embedding import Embedder

    embedders = {"all-MiniLM-L6-v2": Embedder(), "multilingual-e5-small": E5Embedder()}
    for e in embedders.values():
        e.encode(["warm up"])
    runs: dict[str, list[float]] = {name: [] for name in embedders}
    chunks: dict[str, int] = {}
    for r, name in enumerate(("all-MiniLM-L6-v2", "multilingual-e5-small",
                              "multilingual-e5-small", "all-MiniLM-L6-v2")):
        services = fresh_services(tmp / f"data-compare-{r}", embedders[name], model=name)
        took, summary = timed_index(services, docs)
        services.close()
        runs[name].append(round(summary.embedded_chunks / took, 2))
        chunks[name] = summary.embedded_chunks
    mean = {name: sum(v) / len(v) for name, v in runs.items()}
    return {"chunks": chunks, "chunks_per_s_each_run": runs,
            "chunks_per_s": {k: round(v, 2) for k, v in mean.items()},
            "e5_to_minilm": round(mean["multilingual-e5-small"] / mean["all-MiniLM-L6-v2"], 3),
            "threads": {name: e.threads for name, e in embedders.items()},
            "batch_size": {name: e.batch_size for name, e in embedders.items()}}


def bench_indexing_rounds(make_services, docs: Path, rounds: int) -> dict:  # noqa: ANN001
    """The indexing-to-bare-encode ratios, ``rounds`` times, each on a fresh index. The first
    round is :func:`bench_indexing` (bare encodes after the indexing and after its rescan);
    later ones time bare encodes of the same texts right before and right after the
    indexing (in the order A B, index, B A), and take the ratio against each yardstick's
    mean. This machine's speed drifts by up to 15% from one minute to the next, and one pair
    moved the ratio by as much; the median of the rounds is the figure."""
    import statistics

    first = make_services(0)
    report = bench_indexing(first, docs)
    texts = indexed_texts(first)
    first.close()
    ratios = [report["ratio_to_raw_encode"]]
    strict = [report["ratio_to_sorted_encode"]]
    for r in range(1, rounds):
        services = make_services(r)
        raw_before, sorted_before = bare_encode(services, texts), sorted_encode(services, texts)
        took, summary = timed_index(services, docs)
        sorted_after, raw_after = sorted_encode(services, texts), bare_encode(services, texts)
        services.close()
        rate = summary.embedded_chunks / took
        ratios.append(round(rate / encode_rate(texts, raw_before, raw_after), 3))
        strict.append(round(rate / encode_rate(texts, sorted_before, sorted_after), 3))
    report["ratio_each_round"] = ratios
    report["ratio_to_raw_encode"] = round(statistics.median(ratios), 3)
    report["ratio_to_sorted_encode_each_round"] = strict
    report["ratio_to_sorted_encode"] = round(statistics.median(strict), 3)
    return report


def timed_index(services, docs: Path):  # noqa: ANN001, ANN201
    """Seconds to bring the index up to date with ``docs``, and the indexer's summary."""
    from assistant.core.types import IndexSummary

    t = time.perf_counter()
    summary = [e for e in services.indexer.index([docs]) if isinstance(e, IndexSummary)][0]
    return time.perf_counter() - t, summary


def real_text_windows(data_file: Path | None, sentences: list[str]):  # noqa: ANN201
    """Endless (source, text) windows of about 1,000 characters, in order through real text:
    the eval articles, then this machine's documentation and Python sources (the virtual
    environment's packages and /usr/share/doc, in sorted order). Each pass over the sources
    starts half a window later, so a corpus larger than the text repeats no window."""
    sources: list[str] = []
    if data_file and data_file.is_file():
        data = json.loads(data_file.read_text(encoding="utf-8"))
        sources += [" ".join(p["context"] for p in a["paragraphs"]) for a in data["data"]]
    else:
        sources.append(" ".join(sentences))
    for root in (Path(sys.prefix), Path("/usr/share/doc")):
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in (".md", ".rst", ".txt", ".py") and path.is_file() \
                    and not path.is_symlink() and path.stat().st_size >= 1_000:
                try:
                    sources.append(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    continue
    shift = 0
    while True:
        for i, text in enumerate(sources):
            for start in range(shift, len(text), 900):
                yield i, text[start:start + 1_000]
        shift += 450


def scale_texts(kind: str, data_file: Path | None, sentences: list[str], rng):  # noqa: ANN001, ANN201
    """Endless (source, text) chunk texts for the scale bench.

    ``mixed``: each text is 8 random sentences of the eval data, so every chunk mixes all its
    topics: its words occur in most chunks, the worst case for the keyword search, which ranks
    every chunk holding any word of the question. ``windows``: consecutive text of many real
    documents (:func:`real_text_windows`), as a library of different topics is."""
    if kind == "windows":
        yield from real_text_windows(data_file, sentences)
        return
    n = 0
    while True:
        yield n // 100, " ".join(sentences[i] for i in rng.integers(0, len(sentences), 8))
        n += 1


def bench_search_scale(services, folder: Path, texts, questions: list[str],  # noqa: ANN001
                       n: int, queries: int = 50, store=None) -> dict:  # noqa: ANN001
    """Search (query embedding + dense + BM25 + fusion) over ``n`` chunks made from ``texts``
    (:func:`scale_texts`), with the real catalog, FTS index, Chroma store and embedder. The
    chunks are stored, not embedded: each vector is the real embedding of one of 2,000 of
    the texts plus a little noise, so the HNSW graph sees clustered, realistic vectors.
    Building them is timed apart from searching."""
    import itertools

    import numpy as np

    from assistant.core.catalog import Catalog, chunk_id
    from assistant.core.store import VectorStore
    from assistant.core.types import Chunk

    rng = np.random.default_rng(0)
    own_store = store is None
    if own_store and (folder / "catalog.db").exists():  # kept by an earlier run (--scale-dir)
        catalog = Catalog(folder / "catalog.db")
        store = VectorStore("scale", path=folder / "chroma")
        if catalog.fts_rows() == n and store.count() == n:
            return _time_scale_search(services, catalog, store, questions, queries, None)
        catalog.close()
        raise SystemExit(f"{folder} holds an unfinished or different build: delete it first")
    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(folder / "catalog.db")
    store = store or VectorStore("scale", path=folder / "chroma")
    made = list(itertools.islice(texts, n))
    base = services.embedder.encode([made[i][1] for i in rng.choice(len(made), 2000)])
    per_file = 100
    t = time.perf_counter()
    for f, group in itertools.groupby(enumerate(made), key=lambda x: (x[1][0], x[0] // per_file)):
        file_id = catalog.ensure_file(str(folder / f"doc-{f[0]}-{f[1]}.txt"))
        chunks = [Chunk(o, text, o * 1000, o * 1000 + len(text), None, "", "")
                  for o, (_, (_, text)) in enumerate(group)]
        catalog.replace_chunks(file_id, chunks, f"h{f}", 1, 1)
        ids = [chunk_id(file_id, f"h{f}", c.ordinal) for c in chunks]
        vectors = base[rng.integers(0, len(base), len(ids))]
        vectors = vectors + rng.normal(0, 0.02, vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.add(ids, vectors, [{"file_id": file_id, "page": -1}] * len(ids))
    build_s = time.perf_counter() - t
    del made
    return _time_scale_search(services, catalog, store, questions, queries, build_s)


def _time_scale_search(services, catalog, store, questions: list[str], queries: int,  # noqa: ANN001
                       build_s: float | None) -> dict:
    from assistant.core.retrieval import Retriever

    retriever = Retriever(catalog, store, services.embedder,
                          dense_weight=services.settings.retrieval.dense_weight)
    # Spread over the whole file: its first 100 questions are about one article, whose
    # words are rare in a library of Python code and docs (at 1M passages those 100 gave a
    # keyword-search p95 of 56 ms where questions from every article gave 377).
    step = max(1, len(questions) // max(1, queries))
    asked = (questions[::step] * (1 + queries // max(1, len(questions))))[:queries]
    for q in asked[:3]:
        retriever.search(q, 5)  # warm caches
    times, embed, lexical = [], [], []
    for q in asked:
        t = time.perf_counter()
        retriever.search(q, 5)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        services.embedder.encode_query(q)
        embed.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retriever.keyword_search(q)
        lexical.append((time.perf_counter() - t) * 1000)
    figures = {"chunks": store.count(), "fts_rows": catalog.fts_count(),
               "build_seconds": round(build_s, 1) if build_s is not None else "reused",
               "queries": len(times),
               "search_ms_p50": round(percentile(times, 0.5), 1),
               "search_ms_p95": round(percentile(times, 0.95), 1),
               "query_embedding_ms_p50": round(percentile(embed, 0.5), 1),
               "keyword_search_ms_p50": round(percentile(lexical, 0.5), 1),
               "keyword_search_ms_p95": round(percentile(lexical, 0.95), 1)}
    catalog.close()
    return figures


def bench_rescan(services, folder: Path, n: int) -> dict:
    """Index ``n`` tiny files once, then time a rescan that finds them all unchanged."""
    folder.mkdir()
    for i in range(n):
        (folder / f"{i // 1000:02d}").mkdir(exist_ok=True)
        (folder / f"{i // 1000:02d}" / f"note-{i:05d}.txt").write_text(f"Note {i}: item {i * 7}.")
    first_s, first = timed_index(services, folder)
    rescan_s, again = timed_index(services, folder)
    return {"files": n, "first_index_seconds": round(first_s, 2),
            "first_index_files_per_s": round(first.added / first_s, 1),
            "rescan_seconds": round(rescan_s, 3), "rescan_files_per_s": round(n / rescan_s, 1),
            "rescan_unchanged": again.unchanged, "rescan_embedded": again.embedded_chunks}


def fresh_services(data_dir: Path, embedder, model: str = "", **store):  # noqa: ANN001, ANN003, ANN201
    """Services on a data dir of their own (nothing indexed before), sharing ``embedder``
    (``model``: the embedding.model setting it is, default: the settings'); ``store``
    overrides store settings (mode="server", port=...)."""
    from assistant.config import load_settings
    from assistant.services import Services

    own = load_settings()
    own.data_dir = str(data_dir)
    if model:
        own.embedding.model = model
    for key, value in store.items():
        setattr(own.store, key, value)
    return Services(own, embedder=embedder)


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def bench_pipeline(tmp: Path, sentences: list[str], n: int, embedder=None) -> dict:  # noqa: ANN001
    """The indexing pipeline at scale without the encoder's cost: ``n`` small notes (one or
    two chunks each) through the real scanner, loaders, chunker (the real tokenizer), catalog,
    FTS and Chroma, with vectors made from a hash of each text instead of the model's forward
    pass (which would take about 50 minutes per 100k chunks here), or with ``embedder`` (the
    real model, already loaded). Resident memory is sampled every 0.2 s: it must level off,
    not grow with the corpus. Then a rescan that finds every file unchanged."""
    import hashlib
    import threading

    import numpy as np

    from assistant.core.embedding import Embedder

    class HashEmbedder(Embedder):
        @property
        def dimension(self) -> int:
            return 384

        def load(self) -> None:  # no model to load
            pass

        def encode(self, texts: list[str], batch_size: int | None = None,
                   threads: int | None = None) -> np.ndarray:
            out = np.empty((len(texts), 384), dtype=np.float32)
            for row, text in enumerate(texts):
                seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())
                out[row] = np.random.default_rng(seed).standard_normal(384)
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    folder = tmp / "pipeline"
    rng = np.random.default_rng(1)
    for i in range(n):
        sub = folder / f"{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True)
        count = int(rng.integers(2, 9))
        text = " ".join(sentences[j] for j in rng.integers(0, len(sentences), count))
        (sub / f"note-{i:06d}.txt").write_text(f"Note {i}\n\n{text}\n", encoding="utf-8")
    services = fresh_services(tmp / "data-pipeline", embedder or HashEmbedder())
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        start = time.perf_counter()
        while not stop.wait(0.2):
            samples.append((time.perf_counter() - start, rss_mb()))

    before = rss_mb()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    index_s, first = timed_index(services, folder)
    stop.set()
    sampler.join()
    rescan_s, again = timed_index(services, folder)
    chunks = services.catalog.chunk_count()
    services.close()
    quarters = {}
    if samples:
        end = samples[-1][0]
        for q in (0.25, 0.5, 0.75, 1.0):
            quarters[f"rss_mb_at_{int(q * 100)}pct"] = round(
                max((r for s, r in samples if s <= q * end + 1e-9), default=samples[0][1]), 1)
    return {"files": n, "chunks": chunks, "index_seconds": round(index_s, 1),
            "encoder": "real" if embedder is not None else "hashed",
            "files_per_s": round(first.added / index_s, 1),
            "rss_mb_before": round(before, 1),
            "rss_mb_peak": round(max((r for _, r in samples), default=before), 1), **quarters,
            "rescan_seconds": round(rescan_s, 2),
            "rescan_files_per_s": round(n / rescan_s, 1),
            "rescan_unchanged": again.unchanged, "rescan_embedded": again.embedded_chunks}


def bench_watch_latency(services, folder: Path, trials: int) -> dict:
    """Seconds from saving an edited file until a search finds its new text."""
    import threading

    from assistant.core.watcher import FolderWatcher

    folder.mkdir()
    target = folder / "edited.md"
    target.write_text("# Draft\n\nNothing here yet.\n")
    debounce = services.settings.watch.debounce_s
    watcher = FolderWatcher(services.indexer, [folder], services.rules, debounce_s=debounce,
                            reconcile_interval_s=3600)
    ready = threading.Event()

    def consume() -> None:
        for event in watcher.run():
            if type(event).__name__ == "BatchDone" and event.reconcile:
                ready.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    ready.wait(120)
    latencies = []
    for trial in range(trials):
        word = f"zebrafinch{trial}quokka"
        t = time.perf_counter()
        target.write_text(f"# Draft\n\nThe secret word is {word}.\n")
        while time.perf_counter() - t < 60:
            hits = services.catalog.bm25(f'"{word}"', 1)
            if hits:
                break
            time.sleep(0.02)
        latencies.append(time.perf_counter() - t)
        time.sleep(debounce + 0.5)
    watcher.stop()
    thread.join(10)
    return {"trials": trials, "debounce_s": debounce,
            "p50_s": round(statistics.median(latencies), 3),
            "max_s": round(max(latencies), 3)}


def bench_retrieval(services, questions: list[str], n: int) -> dict:
    services.retriever.search("warm up", 5)
    times = []
    for q in questions[:n]:
        t = time.perf_counter()
        services.retriever.search(q, services.settings.retrieval.top_k)
        times.append(time.perf_counter() - t)
    return {"queries": len(times), "p50_ms": round(percentile(times, 0.5) * 1000, 2),
            "p95_ms": round(percentile(times, 0.95) * 1000, 2)}


def answer_prompt(services, question: str, max_tokens: int) -> list[dict[str, str]]:  # noqa: ANN001
    """The messages the answerer gives the model for ``question`` (evidence from the index)."""
    from assistant.core.answer import evidence_blocks
    from assistant.core.prompting import evidence_messages

    gen, answerer = services.generator, services.answerer
    found = services.evidence.find(question, services.search(question, answerer.candidates),
                                   keep=answerer.top_k)
    _, blocks = evidence_blocks(found)
    return evidence_messages(question, blocks, gen.count_tokens, gen.n_ctx - max_tokens)


def timed_stream(pieces) -> tuple[float, float, int]:  # noqa: ANN001
    """(seconds to the first piece, seconds in all, pieces) of a streamed reply."""
    t = time.perf_counter()
    first, count = None, 0
    for _ in pieces:
        first = first or time.perf_counter() - t
        count += 1
    total = time.perf_counter() - t
    return first or total, total, count


def bench_generation(services, questions: list[str], n: int, max_tokens: int) -> dict:
    gen = services.generator
    llama = gen.llama
    engine_ttft, engine_tps, bare_ttft, bare_tps, pipeline_ttft = [], [], [], [], []
    for q in questions[:n]:
        messages = answer_prompt(services, q, max_tokens)

        # through the engine's generator (the lane, streaming, our sampling parameters)
        first, total, count = timed_stream(gen.stream_chat(messages, max_tokens, 0.0))
        engine_ttft.append(first)
        engine_tps.append(count / max(total - first, 1e-9))

        # bare llama-cpp-python, same prompt and parameters
        llama.reset()
        first, total, count = timed_stream(
            c for c in llama.create_chat_completion(
                messages=messages, stream=True, max_tokens=max_tokens, temperature=0.0,
                seed=gen.seed, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.1)
            if c["choices"][0]["delta"].get("content"))
        bare_ttft.append(first)
        bare_tps.append(count / max(total - first, 1e-9))

        # the whole pipeline a user waits on: retrieval + prompt + first token
        t = time.perf_counter()
        for event in services.answerer.answer(q):
            if type(event).__name__ == "TokenStreamed":
                pipeline_ttft.append(time.perf_counter() - t)
                break
    med = statistics.median
    return {
        "model": gen.name, "questions": min(n, len(questions)), "max_tokens": max_tokens,
        "gpu_offload": gen.info()["gpu_offload"], "threads": gen.threads,
        "ttft_s": round(med(engine_ttft), 3), "tokens_per_s": round(med(engine_tps), 1),
        "bare_ttft_s": round(med(bare_ttft), 3), "bare_tokens_per_s": round(med(bare_tps), 1),
        "ttft_ratio_to_bare": round(med(engine_ttft) / med(bare_ttft), 3),
        "tokens_per_s_ratio_to_bare": round(med(engine_tps) / med(bare_tps), 3),
        "pipeline_ttft_s": round(med(pipeline_ttft), 3) if pipeline_ttft else None,
    }


def bench_model_server(services, questions: list[str], n: int, max_tokens: int,  # noqa: ANN001
                       log_dir: Path) -> dict:
    """Answer latency through llama-cpp-python's OpenAI-compatible server on loopback (the
    same GGUF, context and threads) beside the model in this process, on the same prompts,
    one after the other (never both at once on this CPU)."""
    from assistant.core.remote_llm import RemoteGenerator
    from tests.servers import LlamaServer

    gen = services.generator
    server = LlamaServer(gen.model_path, log_dir / "llama-server.log", "bench-key",
                         n_ctx=gen.n_ctx, threads=gen.threads)
    server.start()
    try:
        remote = RemoteGenerator(server.base_url, api_key="bench-key", n_ctx=gen.n_ctx)
        remote.load()
        local_ttft, local_total, remote_ttft, remote_total = [], [], [], []
        for q in questions[:n]:
            messages = answer_prompt(services, q, max_tokens)
            first, total, _ = timed_stream(gen.stream_chat(messages, max_tokens, 0.0))
            local_ttft.append(first)
            local_total.append(total)
            first, total, _ = timed_stream(remote.stream_chat(messages, max_tokens, 0.0))
            remote_ttft.append(first)
            remote_total.append(total)
        remote.close()
    finally:
        server.stop()
    med = statistics.median
    return {"model": gen.name, "questions": min(n, len(questions)), "max_tokens": max_tokens,
            "in_process_ttft_s": round(med(local_ttft), 3),
            "in_process_answer_s": round(med(local_total), 3),
            "server_ttft_s": round(med(remote_ttft), 3),
            "server_answer_s": round(med(remote_total), 3),
            "server_answer_ratio": round(med(remote_total) / med(local_total), 3)}


def bench_store_server(services, tmp: Path, docs: Path, texts_for, questions: list[str],  # noqa: ANN001
                       sizes: list[int], queries: int) -> dict:
    """Indexing and search with the embedded Chroma and with a Chroma server on loopback
    (`chroma run`), in one run, on the same texts and the same embedder."""
    from assistant.core.store import VectorStore
    from tests.servers import ChromaServer

    server = ChromaServer(tmp / "chroma-server")
    server.start()
    out: dict = {}
    try:
        for mode in ("embedded", "server"):
            store = {"mode": "server", "port": server.port} if mode == "server" else {}
            fresh = fresh_services(tmp / f"data-store-{mode}", services.embedder, **store)
            figures = bench_indexing(fresh, docs)
            out[f"indexing_{mode}"] = {k: figures[k] for k in
                                       ("chunks", "seconds", "chunks_per_s",
                                        "ratio_to_raw_encode")}
            fresh.close()
        for n in sizes:
            for mode in ("embedded", "server"):
                store = VectorStore(f"scale_{n}", host="127.0.0.1", port=server.port) \
                    if mode == "server" else None
                out[f"search_at_{n}_{mode}"] = bench_search_scale(
                    services, tmp / f"store-{mode}-{n}", texts_for(), questions, n, queries,
                    store=store)
    finally:
        server.stop()
    return out


STARTUP_DRIVER = r"""
import json, sys, time
def say(what):
    print(json.dumps({"event": what, "t": time.time()}), flush=True)
from PySide6.QtCore import QTimer
from assistant.ui.app import make_app, start
app = make_app([sys.argv[0]])
engine, window = start()
def typing():
    window.question.setFocus()
    window.question.insertPlainText("x")
    if window.question.toPlainText() == "x" and window.isVisible():
        say("typing")
QTimer.singleShot(0, typing)
ready = {"embedder": False, "model": False}
def check():
    if all(ready.values()):
        say("answerable")
        QTimer.singleShot(0, app.quit)
engine.embedder_ready.connect(lambda: (ready.__setitem__("embedder", True), check()))
engine.model_state.connect(lambda s: (ready.__setitem__("model", s.state == "ready"), check()))
QTimer.singleShot(120000, app.quit)
app.exec()
window.quit_on_close = False
engine.close()
"""


def bench_startup(home: Path, trials: int) -> dict:
    """Launch the app (offscreen) on the benchmark's data dir, ``trials`` times."""
    import subprocess

    shown, answerable = [], []
    env = {**os.environ, "ASSISTANT_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(trials):
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-c", STARTUP_DRIVER], capture_output=True,
                              text=True, env=env, cwd=REPO, timeout=300)
        events = {}
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                item = json.loads(line)
                events[item["event"]] = item["t"] - t0
        if "typing" in events:
            shown.append(events["typing"])
        if "answerable" in events:
            answerable.append(events["answerable"])
    med = statistics.median
    return {"trials": trials,
            "launch_to_window_typing_s": round(med(shown), 2) if shown else None,
            "launch_to_answerable_s": round(med(answerable), 2) if answerable else None}


POPUP_DRIVER = r"""
import json, sys, threading, time
from PySide6.QtCore import QEvent, QObject
from assistant import ipc
from assistant.ui.app import make_app, start
app = make_app([sys.argv[0]])
engine, window = start()
ready = {"embedder": False, "model": False}
engine.embedder_ready.connect(lambda: ready.__setitem__("embedder", True))
engine.model_state.connect(lambda s: ready.__setitem__("model", s.state == "ready"))
deadline = time.monotonic() + 180
while not all(ready.values()) and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)

class FirstPaint(QObject):
    target = None
    at = None
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and self.at is None and obj is self.target():
            self.at = time.perf_counter()
        return False

spy = FirstPaint()
app.installEventFilter(spy)

def timed(trigger, target):
    spy.target, spy.at = target, None
    t0 = time.perf_counter()
    threading.Thread(target=trigger, daemon=True).start()
    end = time.monotonic() + 10
    while spy.at is None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    return None if spy.at is None else (spy.at - t0) * 1000

shortcut, handover = [], []
for i in range(int(sys.argv[1])):
    if window.quick is not None:
        window.quick.dismiss()
    app.processEvents()
    # what the X11/portal thread does when the key combination is pressed
    shortcut.append(timed(lambda: window.shortcut._pump(None), lambda: window.quick))
    window.quick.dismiss()
    window.hide()
    app.processEvents()
    # a second launch (its Python start-up not counted): the running window comes up
    handover.append(timed(lambda: ipc.hand_over(engine.services.data_dir, {"cmd": "show"}),
                          lambda: window))
import subprocess
launch = []
for i in range(3):  # the whole second launch: a new Python, its imports, the hand-over
    window.hide()
    app.processEvents()
    launch.append(timed(lambda: subprocess.run([sys.executable, "-m", "assistant", "gui"]),
                        lambda: window))
print(json.dumps({"shortcut_ms": shortcut, "handover_ms": handover, "launch_ms": launch}),
      flush=True)
window.quit_on_close = False
window.instance.close()
engine.close()
"""


def bench_popup(home: Path, trials: int) -> dict:
    """The running app (offscreen, models loaded): from the shortcut's signal to the popup's
    first paint (the first one builds it), and from a second launch's hand-over to the
    window's first paint."""
    import subprocess

    env = {**os.environ, "ASSISTANT_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", POPUP_DRIVER, str(trials)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("{")), None)
    if line is None:
        return {"error": proc.stderr.strip().splitlines()[-1:] or "no output"}
    data = json.loads(line)
    shortcut = [x for x in data["shortcut_ms"] if x is not None]
    handover = [x for x in data["handover_ms"] if x is not None]
    return {"trials": trials,
            "shortcut_to_popup_first_ms": round(shortcut[0], 1) if shortcut else None,
            "shortcut_to_popup_p50_ms": round(statistics.median(shortcut[1:] or shortcut), 1)
            if shortcut else None,
            "shortcut_to_popup_max_ms": round(max(shortcut), 1) if shortcut else None,
            "handover_to_window_p50_ms": round(statistics.median(handover), 1)
            if handover else None,
            "handover_to_window_max_ms": round(max(handover), 1) if handover else None,
            "second_launch_to_window_p50_ms": round(statistics.median(
                [x for x in data["launch_ms"] if x is not None] or [0]), 1),
            "missed": len(data["shortcut_ms"]) - len(shortcut) + len(data["handover_ms"])
            - len(handover)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="SQuAD-format JSON to build the corpus from (else sample docs)")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--answers", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--model", help="GGUF in models/ or a path (default: settings)")
    parser.add_argument("--rescan-files", type=int, default=10_000,
                        help="files for the unchanged-rescan figure (0: skip)")
    parser.add_argument("--watch-trials", type=int, default=3,
                        help="edits timed for watch latency (0: skip)")
    parser.add_argument("--startup-trials", type=int, default=3,
                        help="app launches timed (0: skip; needs PySide6)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="indexings of each extra corpus; its ratio is their median")
    parser.add_argument("--corpora", type=int, default=1,
                        help="also index 300 small notes and 3 PDFs of 60 pages (0: skip)")
    parser.add_argument("--scale-chunks", type=int, nargs="*", default=[],
                        help="search latency over this many synthetic chunks (e.g. 100000)")
    parser.add_argument("--scale-text", choices=("windows", "mixed"), default="windows",
                        help="the scale bench's chunk texts: windows of real documents on "
                        "many topics, or random mixes of the eval sentences (the keyword "
                        "search's worst case: every chunk holds the question's words)")
    parser.add_argument("--scale-dir", type=Path,
                        help="keep the scale bench's chunks here and reuse them in later runs "
                        "(building 1M takes about 30 minutes here)")
    parser.add_argument("--holdout-like", action="store_true",
                        help="also index the eval articles (Markdown + PDF) and 300 package "
                        "documentation files of this machine, like the issue's hold-out corpus")
    parser.add_argument("--pipeline-files", type=int, default=0,
                        help="index this many small notes with hashed vectors: memory and "
                        "rescan at scale without the encoder's cost (e.g. 100000)")
    parser.add_argument("--pipeline-encoder", choices=("hashed", "real"), default="hashed",
                        help="the pipeline bench's vectors: a hash of each text (fast), or the "
                        "real embedding model (memory with the model loaded; about 35 "
                        "chunks/s here)")
    parser.add_argument("--store-server", type=int, nargs="*", default=[],
                        help="indexing, and search at these sizes (e.g. 10000 100000), with "
                        "the embedded Chroma and a Chroma server on loopback")
    parser.add_argument("--model-server", type=int, default=0,
                        help="answers timed through llama-cpp-python's server on loopback "
                        "beside the model in process (this many questions)")
    parser.add_argument("--embedder", choices=("multilingual-e5-small", "all-MiniLM-L6-v2"),
                        help="the embedding model of every figure (default: settings)")
    parser.add_argument("--embedder-compare", action="store_true",
                        help="also index the corpus with each embedding model (A B B A)")
    parser.add_argument("--popup-trials", type=int, default=10,
                        help="quick-ask popups and hand-overs timed in the running app (0: skip)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        os.environ["ASSISTANT_HOME"] = str(Path(tmp) / "home")
        if args.model:
            os.environ["ASSISTANT_LLM__MODEL"] = args.model
        if args.embedder:
            os.environ["ASSISTANT_EMBEDDING__MODEL"] = args.embedder
        from assistant.services import Services

        docs = Path(tmp) / "docs"
        docs.mkdir()
        questions = write_corpus(args.data, docs)
        services = Services()
        report = {"corpus": str(args.data if args.data.is_file() else "resources/sample-docs"),
                  "cpu_count": os.cpu_count()}
        report["embedder"] = services.embedder.name
        report["indexing"] = bench_indexing(services, docs)
        if args.embedder_compare:
            report["indexing_by_embedder"] = bench_embedders(Path(tmp), docs)
        if args.corpora:
            sentences = eval_sentences(args.data)
            for name, folder in (
                    ("small_files", write_small_files(sentences, Path(tmp) / "small")),
                    ("large_pdfs", write_large_pdfs(sentences, Path(tmp) / "pdfs"))):
                report[f"indexing_{name}"] = bench_indexing_rounds(
                    lambda r, name=name: fresh_services(Path(tmp) / f"data-{name}-{r}",
                                                        services.embedder),
                    folder, args.rounds)
        if args.queries:
            report["retrieval"] = bench_retrieval(services, questions, args.queries)
        if args.holdout_like:
            fresh = fresh_services(Path(tmp) / "data-holdout", services.embedder)
            report["indexing_holdout_like"] = bench_indexing(
                fresh, write_holdout_like(args.data, Path(tmp) / "holdout"))
            fresh.close()
        if args.pipeline_files:
            report[f"pipeline_{args.pipeline_encoder}"] = bench_pipeline(
                Path(tmp), eval_sentences(args.data), args.pipeline_files,
                services.embedder if args.pipeline_encoder == "real" else None)
        for n in args.scale_chunks:
            import numpy as np

            texts = scale_texts(args.scale_text, args.data, eval_sentences(args.data),
                                np.random.default_rng(0))
            folder = (args.scale_dir or Path(tmp)) / f"scale-{n}-{args.scale_text}"
            report[f"search_at_{n}_{args.scale_text}"] = bench_search_scale(
                services, folder, texts, questions, n, args.queries or 50)
        if args.watch_trials:
            report["watch_latency"] = bench_watch_latency(services, Path(tmp) / "watched",
                                                          args.watch_trials)
        if args.rescan_files:
            report["rescan"] = bench_rescan(services, Path(tmp) / "many", args.rescan_files)
        if args.store_server:
            import numpy as np

            report["store_server"] = bench_store_server(
                services, Path(tmp), docs,
                lambda: scale_texts(args.scale_text, args.data, eval_sentences(args.data),
                                    np.random.default_rng(0)),
                questions, args.store_server, args.queries or 50)
        if args.answers:
            report["generation"] = bench_generation(services, questions, args.answers,
                                                    args.max_tokens)
        if args.model_server:
            report["model_server"] = bench_model_server(services, questions, args.model_server,
                                                        args.max_tokens, Path(tmp))
        services.close()
        if args.startup_trials:
            report["startup"] = bench_startup(Path(tmp) / "home", args.startup_trials)
        if args.popup_trials:
            report["popup"] = bench_popup(Path(tmp) / "home", args.popup_trials)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
