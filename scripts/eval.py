"""Evaluate retrieval, answers, citations and abstention on SQuAD 2.0-format data.

    python scripts/eval.py ../shared/eval/squad2-dev.json [--split tune|report|all]
                           [--sample N] [--model FILE] [--dump FILE] [--open]

Each article is written out as one text document and goes through the whole path (loader,
chunker, index, retrieval, answering) in a throw-away ASSISTANT_HOME. Prints one JSON object:

- retrieval over every answerable question: recall@1/5/10 and MRR@10, where a hit is a
  retrieved chunk that overlaps the gold paragraph and contains a gold answer;
- answers over every question of the split (or a sample): containment (a gold answer in the
  answer text, after SQuAD normalisation), citation precision (cited passages containing a
  gold answer), answered-but-uncited answers, abstention on unanswerable questions and false
  abstention on answerable ones, time to first token and seconds per answer (medians).

Splits: paragraphs of even index are the tuning half, odd ones the reporting half (so no
paragraph is in both). ``--dump`` writes one JSON line per question (for
scripts/calibrate.py); ``--open`` lets the model answer every question (no abstention
before or after it), which is what calibration needs.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, articles or extra spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def write_articles(data: dict, folder: Path) -> list[dict]:
    """One .txt per article; returns the questions with their paragraph's span in the file
    and their split ("tune": even paragraphs, "report": odd ones)."""
    questions = []
    for article in data["data"]:
        title = article["title"].replace("_", " ")
        name = re.sub(r"[^\w\-]+", "_", article["title"]) + ".txt"
        parts = [title]
        pos = len(title) + 2
        for index, para in enumerate(article["paragraphs"]):
            ctx = para["context"].strip()
            span = (pos, pos + len(ctx))
            parts.append(ctx)
            pos += len(ctx) + 2
            for qa in para["qas"]:
                questions.append({
                    "id": qa["id"], "question": qa["question"], "path": str(folder / name),
                    "span": span, "impossible": bool(qa.get("is_impossible")),
                    "answers": sorted({a["text"] for a in qa["answers"]}),
                    "split": "tune" if index % 2 == 0 else "report",
                })
        (folder / name).write_text("\n\n".join(parts), encoding="utf-8")
    return questions


def is_hit(q: dict, path: str, start: int, end: int, text: str) -> bool:
    if path != q["path"] or end <= q["span"][0] or start >= q["span"][1]:
        return False
    norm = normalize(text)
    return any(normalize(a) in norm for a in q["answers"])


def retrieval_metrics(services, questions: list[dict], k: int = 10) -> dict:
    """Recall of `search` (the fused ranking), and of the ranking answers use (re-ranked by
    each passage's best sentence), over the answerable questions."""
    recall = {1: 0, 5: 0, 10: 0}
    answer_recall = {1: 0, 5: 0}
    sentence_hits = 0
    rr = 0.0
    latencies = []
    answerable = [q for q in questions if not q["impossible"]]
    candidates = services.answerer.candidates

    def rank_of(q: dict, passages: list) -> int | None:
        return next((i for i, p in enumerate(passages, 1)
                     if is_hit(q, p.path, p.start, p.end, p.text)), None)

    for q in answerable:
        t = time.perf_counter()
        passages = services.search(q["question"], k)
        latencies.append(time.perf_counter() - t)
        rank = rank_of(q, passages)
        if rank:
            rr += 1 / rank
            for cut in recall:
                recall[cut] += rank <= cut
        found = services.evidence.find(q["question"], passages[:candidates])  # all ranks
        rank = rank_of(q, found.passages)
        for cut in answer_recall:
            answer_recall[cut] += bool(rank) and rank <= cut
        best = normalize(found.sentences[0].text) if found.sentences else ""
        sentence_hits += any(normalize(a) in best for a in q["answers"])
    n = len(answerable) or 1
    latencies.sort()
    return {
        "questions": len(answerable),
        **{f"recall@{c}": round(v / n, 4) for c, v in recall.items()},
        "mrr@10": round(rr / n, 4),
        **{f"answer_ranking_recall@{c}": round(v / n, 4) for c, v in answer_recall.items()},
        "best_sentence_holds_answer": round(sentence_hits / n, 4),
        "latency_p50_s": round(latencies[len(latencies) // 2], 4) if latencies else None,
    }


def answer_metrics(services, questions: list[dict], show: int = 6,
                   dump: Path | None = None) -> dict:
    from assistant.core.types import AnswerDone, TokenStreamed

    ans = {"n": 0, "contained": 0, "abstained": 0, "cited": 0, "cited_ok": 0, "uncited": 0}
    imp = {"n": 0, "abstained": 0}
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
        contained = not done.abstained and any(
            normalize(a) in normalize(done.answer) for a in q["answers"])
        cites_ok = [is_hit(q, c.path, c.start, c.end, c.text) for c in done.citations]
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
                "confidence": done.confidence, "seconds": round(seconds[-1], 3),
                "first_token_s": None if first is None else round(first, 3),
                "answer": done.answer, "draft": done.draft,
                "gold": q["answers"][:3]}) + "\n")
        if len(examples) < show:
            examples.append({"q": q["question"], "gold": q["answers"][:1],
                             "impossible": q["impossible"], "answer": done.answer[:300],
                             "draft": done.draft[:200], "reason": done.reason})
    if out:
        out.close()
    n = ans["n"] or 1
    med = statistics.median
    return {
        "answerable": ans["n"],
        "unanswerable": imp["n"],
        "answer_containment": round(ans["contained"] / n, 4),
        "citation_precision": round(ans["cited_ok"] / ans["cited"], 4) if ans["cited"] else None,
        "citations": ans["cited"],
        "answered_without_citation": ans["uncited"],
        "abstention_on_unanswerable": round(imp["abstained"] / (imp["n"] or 1), 4),
        "false_abstention_on_answerable": round(ans["abstained"] / n, 4),
        "abstain_reasons": reasons,
        "first_token_s_p50": round(med(ttft), 3) if ttft else None,
        "seconds_per_question_p50": round(med(seconds), 3) if seconds else None,
        "seconds_per_question_p90": round(sorted(seconds)[int(0.9 * (len(seconds) - 1))], 3)
        if seconds else None,
        "examples": examples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="SQuAD 2.0 JSON file")
    parser.add_argument("--split", choices=("tune", "report", "all"), default="all",
                        help="which half of the paragraphs to ask about (default: all)")
    parser.add_argument("--sample", type=int, default=-1,
                        help="answer only N questions, half unanswerable (default: all of the "
                        "split; 0: retrieval only)")
    parser.add_argument("--seed", type=int, default=7)
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
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        home = args.home or Path(tmp) / "home"
        os.environ["ASSISTANT_HOME"] = str(home)
        if args.model:
            os.environ["ASSISTANT_LLM__MODEL"] = args.model
        if args.top_k:
            os.environ["ASSISTANT_RETRIEVAL__TOP_K"] = str(args.top_k)
        from assistant.core.answer import Thresholds
        from assistant.core.types import IndexSummary
        from assistant.services import Services

        docs = Path(tmp) / "docs"
        docs.mkdir()
        questions = write_articles(data, docs)
        if args.split != "all":
            questions = [q for q in questions if q["split"] == args.split]
        services = Services()
        if args.open:
            services.answerer.thresholds = Thresholds(skip_model=-9.0, quote=-9.0, keys=0.0,
                                                      numbers=False, contrary=False,
                                                      judged=-math.inf)  # asked, never used
        t = time.perf_counter()
        summary = [e for e in services.indexer.index([docs]) if isinstance(e, IndexSummary)][0]
        th = services.answerer.thresholds
        report: dict = {
            "data": str(args.data),
            "split": args.split,
            "documents": summary.added,
            "chunks": summary.embedded_chunks,
            "index_seconds": round(time.perf_counter() - t, 2),
            "settings": {
                "chunk_max_tokens": services.chunker.max_tokens,
                "chunk_overlap": services.chunker.overlap_tokens,
                "top_k": services.settings.retrieval.top_k,
                "dense_weight": services.settings.retrieval.dense_weight,
                "model": services.settings.llm.model,
                "thresholds": {"skip_model": th.skip_model, "quote": th.quote,
                               "keys": th.keys, "numbers": th.numbers,
                               "contrary": th.contrary, "judged": th.judged},
            },
            "retrieval": retrieval_metrics(services, questions),
        }
        picked = questions
        if args.sample > 0:
            rng = random.Random(args.seed)
            answerable = [q for q in questions if not q["impossible"]]
            impossible = [q for q in questions if q["impossible"]]
            half = args.sample // 2
            picked = rng.sample(answerable, min(half, len(answerable))) + rng.sample(
                impossible, min(args.sample - half, len(impossible)))
            rng.shuffle(picked)
        if args.sample != 0:
            report["answers"] = answer_metrics(services, picked, args.examples, args.dump)
        services.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
