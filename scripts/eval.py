"""Evaluate retrieval, answers, citations and abstention on SQuAD-format data, in any language.

    python scripts/eval.py ../shared/eval/squad2-dev.json [--split tune|report|all]
                           [--sample N] [--model FILE] [--dump FILE] [--open]
                           [--lang CODE] [--questions-from FILE]

Each article is written out as one text document and goes through the whole path (loader,
chunker, index, retrieval, answering) in a throw-away ASSISTANT_HOME. Prints one JSON object:

- retrieval over every answerable question: recall@1/5/10 and MRR@10, where a hit is a
  retrieved chunk that overlaps the gold paragraph and contains a gold answer (after the
  documents' language's normalisation, see ``normalize``); the same figures per split;
- an anchor in the same run: plain BM25 (k1=1.2, b=0.75) over the paragraphs, on character
  bigrams of CJK text and lower-cased words elsewhere, recall@1/5 over the same questions;
- answers over every question of the split (or a sample): containment (a gold answer in the
  answer text, normalised), citation precision (cited passages containing a gold answer),
  answered-but-uncited answers, abstention on unanswerable questions and false abstention on
  answerable ones, answers written in the question's language (see ``written_in``), time to
  first token and seconds per answer (medians). Counts come with the ratios.

``--questions-from FILE`` asks the questions of another file with the same question ids (e.g.
XQuAD's English questions) over this file's documents (e.g. XQuAD's Chinese ones); the gold
paragraph and answers stay this file's. Languages: ``--lang`` names the documents' language
(default: the file name's ``.xx.json`` code, else guessed from the script of the text).

Splits: paragraphs of even index in their article are the tuning half, odd ones the reporting
half (so no paragraph is in both); where an article has a single paragraph (CMRC 2018), the
article's index decides. ``--dump`` writes one JSON line per question (for
scripts/calibrate.py); ``--open`` lets the model answer every question (no abstention
before or after it), which is what calibration needs. scripts/eval_multilingual.py runs this
over the multilingual files and checks the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import statistics
import string
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Languages -------------------------------------------------------------------------------

# Letters of each script (the ranges a language check needs, not all of Unicode).
_SCRIPT_RANGES = (
    ("han", ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))),
    ("kana", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))),
    ("hangul", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))),
    ("cyrillic", ((0x0400, 0x052F),)),
    ("arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
                (0xFE70, 0xFEFF))),
    ("hebrew", ((0x0590, 0x05FF),)),
    ("greek", ((0x0370, 0x03FF),)),
    ("latin", ((0x0041, 0x024F), (0x1E00, 0x1EFF))),
)
# The scripts a language is written in; languages not named here are written in Latin.
LANGUAGE_SCRIPTS = {"zh": {"han"}, "ja": {"han", "kana"}, "ko": {"hangul", "han"},
                    "ru": {"cyrillic"}, "uk": {"cyrillic"}, "ar": {"arabic"},
                    "he": {"hebrew"}, "el": {"greek"}}
# Written without spaces between words: answers are compared without any whitespace.
UNSPACED = {"zh", "ja"}
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TERM = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")


def char_script(ch: str) -> str | None:
    """The script of a letter (one of ``_SCRIPT_RANGES``, "other" for any other letter), or
    None for what is not a letter (digits, punctuation, spaces, marks)."""
    if not ch.isalpha():
        return None
    o = ord(ch)
    for name, ranges in _SCRIPT_RANGES:
        if any(lo <= o <= hi for lo, hi in ranges):
            return name
    return "other"


def detect_language(text: str) -> str:
    """A language code from the letters' scripts: kana → ja, hangul → ko, Han → zh,
    Cyrillic → ru, Arabic → ar, Hebrew → he, Greek → el, else en (script alone cannot tell
    English from German: name the language where it matters)."""
    counts = Counter(s for ch in text if (s := char_script(ch)))
    if not counts:
        return "en"
    if counts["kana"] >= 0.1 * sum(counts.values()):
        return "ja"
    top = counts.most_common(1)[0][0]
    return {"hangul": "ko", "han": "zh", "cyrillic": "ru", "arabic": "ar", "hebrew": "he",
            "greek": "el"}.get(top, "en")


def language_of_file(path: Path, data: dict) -> str:
    """The ``xx`` of ``name.xx.json``, else the language of the file's first paragraphs."""
    m = re.search(r"\.([a-z]{2})\.json$", path.name)
    if m:
        return m.group(1)
    sample = " ".join(p["context"][:200] for a in data["data"][:20] for p in a["paragraphs"])
    return detect_language(sample)


def _squad_normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, articles or extra spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _is_punctuation(ch: str) -> bool:
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


def normalize(text: str, lang: str = "en") -> str:
    """Text as answers are compared in ``lang``.

    English: SQuAD's normalisation (unchanged, so English figures stay comparable). Chinese
    and Japanese: NFKC (full-width forms folded), lower case, no whitespace and no
    punctuation (CJK and ASCII), nothing else (no articles to drop). Other languages: NFKC,
    lower case, Unicode punctuation (and ASCII symbols) replaced by spaces, spaces collapsed."""
    if lang == "en":
        return _squad_normalize(text)
    text = unicodedata.normalize("NFKC", text).lower()
    if lang in UNSPACED:
        return "".join(ch for ch in text if not ch.isspace() and not _is_punctuation(ch))
    return " ".join("".join(" " if _is_punctuation(ch) else ch for ch in text).split())


# Citation markers and quoted passages do not count in the language check.
_MARKERS = re.compile(r"\[\d+(?:\s*[,，、]\s*\d+)*\]")
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|«[^»]*»|„[^“”]*[“”]|\"[^\"]*\"")


def language_share(text: str, lang: str) -> float | None:
    """Share of the letters of ``text`` that are in ``lang``'s scripts (each Han character
    counts as one letter, as each Latin letter does), leaving out citation markers and
    quoted passages (unless nothing else is left); None when there are no letters."""
    text = _MARKERS.sub(" ", text)
    wanted = LANGUAGE_SCRIPTS.get(lang, {"latin"})
    for candidate in (_QUOTED.sub(" ", text), text):
        scripts = [s for ch in candidate if (s := char_script(ch))]
        if scripts:
            return sum(s in wanted for s in scripts) / len(scripts)
    return None


def written_in(text: str, lang: str) -> bool:
    """The answer is written in ``lang``: at least half its letters are in that language's
    scripts. Script-level only: English and German both pass for each other."""
    share = language_share(text, lang)
    return share is not None and share >= 0.5


# The anchor: plain BM25 on character bigrams --------------------------------------------

def anchor_terms(text: str) -> list[str]:
    """Terms of the anchor: overlapping bigrams of each run of Han, kana and hangul (a run of
    one character is its own term), lower-cased words (letters and digits) elsewhere."""
    text = unicodedata.normalize("NFKC", text).lower()
    terms: list[str] = []
    for m in _TERM.finditer(text):
        run = m.group("cjk")
        if run is None:
            terms.append(m.group("word"))
        elif len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i:i + 2] for i in range(len(run) - 1))
    return terms


class BM25:
    """Okapi BM25 over whole paragraphs, in pure Python: the anchor the product's ranking is
    compared with. idf = ln(1 + (N - df + 0.5) / (df + 0.5)); each distinct query term
    counts once; ties keep the paragraphs' order."""

    def __init__(self, docs: list[str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.lengths: list[int] = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            tf = Counter(anchor_terms(doc))
            self.lengths.append(sum(tf.values()))
            for term, f in tf.items():
                self.postings[term].append((i, f))
        n = len(docs)
        self.avg_length = (sum(self.lengths) / n) if n else 0.0
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5))
                    for t, p in self.postings.items()}

    def scores(self, query: str) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        k1, b, avg = self.k1, self.b, self.avg_length or 1.0
        for term in set(anchor_terms(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, f in self.postings[term]:
                scores[i] += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * self.lengths[i] / avg))
        return scores

    def rank(self, query: str) -> list[int]:
        """Indexes of the paragraphs holding any query term, best first."""
        scores = self.scores(query)
        return sorted(scores, key=lambda i: (-scores[i], i))


# Data ------------------------------------------------------------------------------------

def file_name(title: str, taken: set[str]) -> str:
    """A file name for an article: its title with runs of anything but letters, digits and
    hyphens (in any script) made one "_", at most 80 characters, unique among ``taken``."""
    stem = re.sub(r"[^\w\-]+", "_", unicodedata.normalize("NFC", title)).strip("_")[:80]
    stem = stem or "article"
    name, n = f"{stem}.txt", 1
    while name.casefold() in taken:
        n += 1
        name = f"{stem}-{n}.txt"
    taken.add(name.casefold())
    return name


def write_articles(data: dict, folder: Path, lang: str = "en") -> tuple[list[dict], list[dict]]:
    """One .txt per article. Returns the questions (each with its paragraph's span in the file,
    the paragraph's index, the documents' language and its split: "tune" for even paragraphs,
    "report" for odd ones; the article's index where it has one paragraph) and the paragraphs
    (path, span, text, split)."""
    questions: list[dict] = []
    paragraphs: list[dict] = []
    taken: set[str] = set()
    for a_index, article in enumerate(data["data"]):
        title = article.get("title", "").replace("_", " ").strip() or f"Article {a_index + 1}"
        path = folder / file_name(article.get("title") or title, taken)
        parts = [title]
        pos = len(title) + 2
        single = len(article["paragraphs"]) == 1
        for index, para in enumerate(article["paragraphs"]):
            ctx = para["context"].strip()
            span = (pos, pos + len(ctx))
            parts.append(ctx)
            pos += len(ctx) + 2
            split = "tune" if (a_index if single else index) % 2 == 0 else "report"
            paragraphs.append({"path": str(path), "span": span, "text": ctx, "split": split})
            for qa in para["qas"]:
                questions.append({
                    "id": qa["id"], "question": qa["question"], "path": str(path),
                    "span": span, "impossible": bool(qa.get("is_impossible")),
                    "answers": sorted({a["text"] for a in qa["answers"]}),
                    "split": split, "paragraph": len(paragraphs) - 1,
                    "lang": lang, "question_lang": lang,
                })
        path.write_text("\n\n".join(parts), encoding="utf-8")
    return questions, paragraphs


def questions_by_id(data: dict) -> dict[str, str]:
    return {qa["id"]: qa["question"]
            for article in data["data"] for para in article["paragraphs"] for qa in para["qas"]}


def ask_in(questions: list[dict], other: dict[str, str], lang: str) -> tuple[list[dict], int]:
    """The questions with their text taken from ``other`` (question id → text, in ``lang``),
    gold paragraph and answers kept; those ``other`` lacks are left out (their count is the
    second value)."""
    kept = [dict(q, question=other[q["id"]], question_lang=lang)
            for q in questions if q["id"] in other]
    return kept, len(questions) - len(kept)


def is_hit(q: dict, path: str, start: int, end: int, text: str) -> bool:
    if path != q["path"] or end <= q["span"][0] or start >= q["span"][1]:
        return False
    lang = q.get("lang", "en")
    norm = normalize(text, lang)
    return any(normalize(a, lang) in norm for a in q["answers"])


def sample_questions(questions: list[dict], n: int, seed: int) -> list[dict]:
    """``n`` questions, seeded: half unanswerable where the data has them (as many as it
    has), the rest answerable; all of them for n < 0."""
    if n < 0:
        return questions
    rng = random.Random(seed)
    answerable = [q for q in questions if not q["impossible"]]
    impossible = [q for q in questions if q["impossible"]]
    n_impossible = min(n - n // 2, len(impossible))
    picked = rng.sample(answerable, min(n - n_impossible, len(answerable))) + rng.sample(
        impossible, n_impossible)
    rng.shuffle(picked)
    return picked


# Measures --------------------------------------------------------------------------------

def _ratio(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def recall_figures(ranks: list[int | None], cuts: tuple[int, ...]) -> dict:
    """Counts and ratios of ranks within each cut (None: not found)."""
    n = len(ranks)
    out: dict[str, Any] = {"questions": n}
    for c in cuts:
        hits = sum(1 for r in ranks if r is not None and r <= c)
        out[f"recall@{c}"] = _ratio(hits, n)
        out[f"hits@{c}"] = hits
    return out


def anchor_ranks(paragraphs: list[dict], questions: list[dict]) -> list[int | None]:
    """Rank of each question's gold paragraph under the bigram BM25 anchor (None: beyond
    every paragraph holding a query term)."""
    bm25 = BM25([p["text"] for p in paragraphs])
    ranks: list[int | None] = []
    for q in questions:
        order = bm25.rank(q["question"])
        ranks.append(order.index(q["paragraph"]) + 1 if q["paragraph"] in order else None)
    return ranks


def chunk_anchor_ranks(services, questions: list[dict]) -> list[int | None]:
    """Rank of the first chunk holding the answer (the product's own hit rule) under the same
    bigram BM25, over the product's own chunks (context and text, as they are searched): the
    anchor on the units the product ranks. The paragraph anchor only has to find the gold
    paragraph; a chunk must also hold the answer, which a paragraph cut in three may not."""
    catalog = services.catalog
    units: list[tuple[str, int, int, str]] = []
    searched: list[str] = []
    for record in catalog.files():
        for c in catalog.chunks_of(record.id):
            units.append((record.path, c.start, c.end, c.text))
            searched.append(f"{c.context}\n{c.text}")
    bm25 = BM25(searched)
    ranks: list[int | None] = []
    for q in questions:
        order = bm25.rank(q["question"])
        ranks.append(next((n for n, i in enumerate(order, 1) if is_hit(q, *units[i])), None))
    return ranks


def retrieval_metrics(services, questions: list[dict], k: int = 10,
                      paragraphs: list[dict] | None = None) -> dict:
    """Recall of `search` (the fused ranking), and of the ranking answers use (re-ranked by
    each passage's best sentence), over the answerable questions; per split too; with the
    anchor's recall on the same questions when ``paragraphs`` are given."""
    answerable = [q for q in questions if not q["impossible"]]
    candidates = services.answerer.candidates
    ranks: list[int | None] = []
    answer_ranks: list[int | None] = []
    sentence_hits = 0
    latencies = []

    def rank_of(q: dict, passages: list) -> int | None:
        return next((i for i, p in enumerate(passages, 1)
                     if is_hit(q, p.path, p.start, p.end, p.text)), None)

    for q in answerable:
        t = time.perf_counter()
        passages = services.search(q["question"], k)
        latencies.append(time.perf_counter() - t)
        ranks.append(rank_of(q, passages))
        found = services.evidence.find(q["question"], passages[:candidates])  # all ranks
        answer_ranks.append(rank_of(q, found.passages))
        lang = q.get("lang", "en")
        best = normalize(found.sentences[0].text, lang) if found.sentences else ""
        sentence_hits += any(normalize(a, lang) in best for a in q["answers"])
    n = len(answerable)
    latencies.sort()
    report: dict[str, Any] = {
        **recall_figures(ranks, (1, 5, 10)),
        "mrr@10": round(sum(1 / r for r in ranks if r) / n, 4) if n else None,
        **{f"answer_ranking_{c}": v for c, v in recall_figures(answer_ranks, (1, 5)).items()
           if c.startswith("recall")},
        "best_sentence_holds_answer": _ratio(sentence_hits, n),
        "latency_p50_s": round(latencies[len(latencies) // 2], 4) if latencies else None,
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 4)
        if latencies else None,
        "seconds": round(sum(latencies), 2),
    }
    anchor: list[int | None] = []
    if paragraphs is not None:
        anchor = anchor_ranks(paragraphs, answerable)
        report["anchor_bm25_bigrams"] = recall_figures(anchor, (1, 5))
        chunk_anchor = chunk_anchor_ranks(services, answerable)
        report["anchor_bm25_bigrams_chunks"] = recall_figures(chunk_anchor, (1, 5))
    report["by_split"] = {}
    for split in ("tune", "report"):
        pick = [i for i, q in enumerate(answerable) if q["split"] == split]
        part = recall_figures([ranks[i] for i in pick], (1, 5))
        if anchor:
            part["anchor_recall@1"] = recall_figures([anchor[i] for i in pick], (1,))["recall@1"]
            part["chunk_anchor_recall@1"] = recall_figures([chunk_anchor[i] for i in pick],
                                                           (1,))["recall@1"]
        report["by_split"][split] = part
    return report


def answer_metrics(services, questions: list[dict], show: int = 6,
                   dump: Path | None = None) -> dict:
    from assistant.core.types import AnswerDone, TokenStreamed

    ans = {"n": 0, "contained": 0, "abstained": 0, "cited": 0, "cited_ok": 0, "uncited": 0}
    imp = {"n": 0, "abstained": 0}
    language = {"answers": 0, "in_language": 0, "answered": 0, "answered_in_language": 0,
                "abstentions_in_language": 0}
    reasons: dict[str, int] = {}
    seconds, ttft = [], []
    examples = []
    out = dump.open("w", encoding="utf-8") if dump else None
    for q in questions:
        t = time.perf_counter()
        first = None
        done = None
        for event in services.answerer.answer(q["question"]):
            if isinstance(event, TokenStreamed) and first is None:
                first = time.perf_counter() - t
            if isinstance(event, AnswerDone):
                done = event
        assert done is not None
        seconds.append(time.perf_counter() - t)
        if first is not None:
            ttft.append(first)
        if done.abstained:
            reasons[done.reason] = reasons.get(done.reason, 0) + 1
        lang = q.get("lang", "en")
        contained = not done.abstained and any(
            normalize(a, lang) in normalize(done.answer, lang) for a in q["answers"])
        cites_ok = [is_hit(q, c.path, c.start, c.end, c.text) for c in done.citations]
        in_language = written_in(done.answer, q.get("question_lang", lang))
        language["answers"] += 1
        language["in_language"] += in_language
        if done.abstained:
            language["abstentions_in_language"] += in_language
        else:
            language["answered"] += 1
            language["answered_in_language"] += in_language
        if q["impossible"]:
            imp["n"] += 1
            imp["abstained"] += done.abstained
        else:
            ans["n"] += 1
            ans["abstained"] += done.abstained
            ans["contained"] += contained
            ans["cited"] += len(cites_ok)
            ans["cited_ok"] += sum(cites_ok)
            ans["uncited"] += not done.abstained and not done.citations
        if out:
            out.write(json.dumps({
                "id": q["id"], "question": q["question"], "impossible": q["impossible"],
                "abstained": done.abstained,
                "reason": done.reason, "contained": contained, "cites_ok": cites_ok,
                "in_language": in_language,
                "confidence": done.confidence, "seconds": round(seconds[-1], 3),
                "first_token_s": None if first is None else round(first, 3),
                "answer": done.answer, "draft": done.draft,
                "gold": q["answers"][:3]}, ensure_ascii=False) + "\n")
        if len(examples) < show:
            examples.append({"q": q["question"], "gold": q["answers"][:1],
                             "impossible": q["impossible"], "answer": done.answer[:300],
                             "draft": done.draft[:200], "reason": done.reason})
    if out:
        out.close()
    n = ans["n"]
    med = statistics.median
    return {
        "answerable": ans["n"],
        "unanswerable": imp["n"],
        "answer_containment": _ratio(ans["contained"], n),
        "contained": ans["contained"],
        "citation_precision": _ratio(ans["cited_ok"], ans["cited"]),
        "citations": ans["cited"],
        "answered_without_citation": ans["uncited"],
        "abstention_on_unanswerable": _ratio(imp["abstained"], imp["n"]),
        "false_abstention_on_answerable": _ratio(ans["abstained"], n),
        "false_abstentions": ans["abstained"],
        "abstain_reasons": reasons,
        # Over every answer, abstentions included (the engine's "not found" is a text too).
        "written_in_question_language": _ratio(language["in_language"], language["answers"]),
        "language": language,
        "first_token_s_p50": round(med(ttft), 3) if ttft else None,
        "seconds_per_question_p50": round(med(seconds), 3) if seconds else None,
        "seconds_per_question_p90": round(sorted(seconds)[int(0.9 * (len(seconds) - 1))], 3)
        if seconds else None,
        "examples": examples,
    }


# Running the product ---------------------------------------------------------------------

@contextlib.contextmanager
def product(home: Path, generator: Any = None, open_answers: bool = False) -> Iterator[Any]:
    """The real composition root on data dir ``home`` (``generator`` borrowed, if given)."""
    os.environ["ASSISTANT_HOME"] = str(home)
    from assistant.core.answer import Thresholds
    from assistant.services import Services

    services = Services(generator=generator)
    if open_answers:
        services.answerer.thresholds = Thresholds(skip_model=-9.0, quote=-9.0, keys=0.0,
                                                  numbers=False, contrary=False,
                                                  judged=-math.inf)  # asked, never used
    try:
        yield services
    finally:
        services.close()


def index_documents(services, docs: Path) -> dict:
    from assistant.core.types import IndexSummary

    t = time.perf_counter()
    summary = [e for e in services.indexer.index([docs]) if isinstance(e, IndexSummary)][0]
    seconds = time.perf_counter() - t
    return {"documents": summary.added, "chunks": summary.embedded_chunks,
            "index_seconds": round(seconds, 2),
            "chunks_per_s": round(summary.embedded_chunks / seconds, 2) if seconds else None}


def settings_report(services) -> dict:
    th = services.answerer.thresholds
    return {
        "chunk_max_tokens": services.chunker.max_tokens,
        "chunk_overlap": services.chunker.overlap_tokens,
        "top_k": services.settings.retrieval.top_k,
        "dense_weight": services.settings.retrieval.dense_weight,
        "embedder": services.settings.embedder_spec or "default",
        "embedder_model": str(getattr(services.embedder, "model_dir", "")),
        "model": services.settings.llm.model,
        "thresholds": {"skip_model": th.skip_model, "quote": th.quote,
                       "keys": th.keys, "numbers": th.numbers,
                       "contrary": th.contrary, "judged": th.judged},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="SQuAD-format JSON file")
    parser.add_argument("--split", choices=("tune", "report", "all"), default="all",
                        help="which half of the paragraphs to ask about (default: all)")
    parser.add_argument("--sample", type=int, default=-1,
                        help="answer only N questions, half unanswerable where there are "
                        "some (default: all of the split; 0: retrieval only)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lang", help="the documents' language (default: from the file)")
    parser.add_argument("--questions-from", type=Path,
                        help="ask this file's questions (matched by id) over DATA's documents")
    parser.add_argument("--model", help="GGUF file name in models/ or a path (default: settings)")
    parser.add_argument("--top-k", type=int, default=None, help="passages given to the model")
    parser.add_argument("--examples", type=int, default=6, help="answers to show in the report")
    parser.add_argument("--home", type=Path, help="ASSISTANT_HOME to use (default: temporary)")
    parser.add_argument("--dump", type=Path, help="write one JSON line per answered question")
    parser.add_argument("--open", action="store_true",
                        help="no abstention thresholds: the model answers every question "
                        "(for scripts/calibrate.py)")
    args = parser.parse_args(argv)

    data = json.loads(args.data.read_text(encoding="utf-8"))
    lang = args.lang or language_of_file(args.data, data)
    if args.model:
        os.environ["ASSISTANT_LLM__MODEL"] = args.model
    if args.top_k:
        os.environ["ASSISTANT_RETRIEVAL__TOP_K"] = str(args.top_k)
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        questions, paragraphs = write_articles(data, docs, lang)
        report: dict = {"data": str(args.data), "lang": lang, "split": args.split}
        if args.questions_from:
            other = json.loads(args.questions_from.read_text(encoding="utf-8"))
            q_lang = language_of_file(args.questions_from, other)
            questions, missing = ask_in(questions, questions_by_id(other), q_lang)
            report.update(questions_from=str(args.questions_from), question_lang=q_lang,
                          questions_without_match=missing)
        if args.split != "all":
            questions = [q for q in questions if q["split"] == args.split]
        with product(args.home or Path(tmp) / "home", open_answers=args.open) as services:
            report.update(index_documents(services, docs))
            report["settings"] = settings_report(services)
            report["retrieval"] = retrieval_metrics(services, questions, paragraphs=paragraphs)
            if args.sample != 0:
                picked = sample_questions(questions, args.sample, args.seed)
                report["answers"] = answer_metrics(services, picked, args.examples, args.dump)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
