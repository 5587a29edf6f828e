"""Evaluate retrieval, answers, citations and abstention on SQuAD 2.0-format data.

    python scripts/eval.py ../shared/eval/squad2-dev.json [--sample 60] [--model FILE]

Each article is written out as one text document and goes through the whole path (loader,
chunker, index, retrieval, answering) in a throw-away ASSISTANT_HOME. Prints one JSON object:

- retrieval over every answerable question: recall@1/5/10 and MRR@10, where a hit is a
  retrieved chunk that overlaps the gold paragraph and contains a gold answer;
- answers over a sample of questions: containment (a gold answer in the answer text, after
  SQuAD normalisation), citation precision (cited passages containing a gold answer),
  abstention on unanswerable questions and false abstention on answerable ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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
    """One .txt per article; returns the questions with their paragraph's span in the file."""
    questions = []
    for article in data["data"]:
        title = article["title"].replace("_", " ")
        name = re.sub(r"[^\w\-]+", "_", article["title"]) + ".txt"
        parts = [title]
        pos = len(title) + 2
        for para in article["paragraphs"]:
            ctx = para["context"].strip()
            span = (pos, pos + len(ctx))
            parts.append(ctx)
            pos += len(ctx) + 2
            for qa in para["qas"]:
                questions.append({
                    "id": qa["id"], "question": qa["question"], "path": str(folder / name),
                    "span": span, "impossible": bool(qa.get("is_impossible")),
                    "answers": sorted({a["text"] for a in qa["answers"]}),
                })
        (folder / name).write_text("\n\n".join(parts), encoding="utf-8")
    return questions


def is_hit(q: dict, path: str, start: int, end: int, text: str) -> bool:
    if path != q["path"] or end <= q["span"][0] or start >= q["span"][1]:
        return False
    norm = normalize(text)
    return any(normalize(a) in norm for a in q["answers"])


def retrieval_metrics(services, questions: list[dict], k: int = 10) -> dict:
    recall = {1: 0, 5: 0, 10: 0}
    rr = 0.0
    latencies = []
    answerable = [q for q in questions if not q["impossible"]]
    for q in answerable:
        t = time.perf_counter()
        passages = services.retriever.search(q["question"], k)
        latencies.append(time.perf_counter() - t)
        rank = next((i for i, p in enumerate(passages, 1)
                     if is_hit(q, p.path, p.start, p.end, p.text)), None)
        if rank:
            rr += 1 / rank
            for cut in recall:
                recall[cut] += rank <= cut
    n = len(answerable) or 1
    latencies.sort()
    return {
        "questions": len(answerable),
        **{f"recall@{c}": round(v / n, 4) for c, v in recall.items()},
        "mrr@10": round(rr / n, 4),
        "latency_p50_s": round(latencies[len(latencies) // 2], 4) if latencies else None,
    }


def answer_metrics(services, questions: list[dict], show: int = 6) -> dict:
    from assistant.core.types import AnswerDone

    ans = {"n": 0, "contained": 0, "abstained": 0, "cited": 0, "cited_ok": 0,
           "supported_answers": 0}
    imp = {"n": 0, "abstained": 0}
    reasons: dict[str, int] = {}
    seconds = []
    examples = []
    for q in questions:
        t = time.perf_counter()
        done = next(e for e in services.answerer.answer(q["question"])
                    if isinstance(e, AnswerDone))
        seconds.append(time.perf_counter() - t)
        if done.abstained:
            reasons[done.reason] = reasons.get(done.reason, 0) + 1
        if q["impossible"]:
            imp["n"] += 1
            imp["abstained"] += done.abstained
        else:
            ans["n"] += 1
            if done.abstained:
                ans["abstained"] += 1
            else:
                text = normalize(done.answer)
                ans["contained"] += any(normalize(a) in text for a in q["answers"])
            for c in done.citations:
                ans["cited"] += 1
                ans["cited_ok"] += is_hit(q, c.path, c.start, c.end, c.text)
        if len(examples) < show:
            examples.append({"q": q["question"], "gold": q["answers"][:1],
                             "impossible": q["impossible"], "answer": done.answer[:200],
                             "draft": done.draft[:200], "reason": done.reason})
    n = ans["n"] or 1
    seconds.sort()
    return {
        "answerable": ans["n"],
        "unanswerable": imp["n"],
        "answer_containment": round(ans["contained"] / n, 4),
        "citation_precision": round(ans["cited_ok"] / ans["cited"], 4) if ans["cited"] else None,
        "citations": ans["cited"],
        "abstention_on_unanswerable": round(imp["abstained"] / (imp["n"] or 1), 4),
        "false_abstention_on_answerable": round(ans["abstained"] / n, 4),
        "abstain_reasons": reasons,
        "seconds_per_question_p50": round(seconds[len(seconds) // 2], 3) if seconds else None,
        "examples": examples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="SQuAD 2.0 JSON file")
    parser.add_argument("--sample", type=int, default=60,
                        help="questions to answer with the model, half unanswerable (0: none)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", help="GGUF file name in models/ or a path (default: settings)")
    parser.add_argument("--top-k", type=int, default=None, help="passages given to the model")
    parser.add_argument("--examples", type=int, default=6, help="answers to show in the report")
    parser.add_argument("--home", type=Path, help="ASSISTANT_HOME to use (default: temporary)")
    args = parser.parse_args(argv)

    data = json.loads(args.data.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        home = args.home or Path(tmp) / "home"
        os.environ["ASSISTANT_HOME"] = str(home)
        if args.model:
            os.environ["ASSISTANT_LLM__MODEL"] = args.model
        if args.top_k:
            os.environ["ASSISTANT_RETRIEVAL__TOP_K"] = str(args.top_k)
        from assistant.core.types import IndexSummary
        from assistant.services import Services

        docs = Path(tmp) / "docs"
        docs.mkdir()
        questions = write_articles(data, docs)
        services = Services()
        t = time.perf_counter()
        summary = [e for e in services.indexer.index([docs]) if isinstance(e, IndexSummary)][0]
        report: dict = {
            "data": str(args.data),
            "documents": summary.added,
            "chunks": summary.embedded_chunks,
            "index_seconds": round(time.perf_counter() - t, 2),
            "settings": {
                "chunk_max_tokens": services.chunker.max_tokens,
                "chunk_overlap": services.chunker.overlap_tokens,
                "top_k": services.settings.retrieval.top_k,
                "model": services.settings.llm.model,
            },
            "retrieval": retrieval_metrics(services, questions),
        }
        if args.sample:
            rng = random.Random(args.seed)
            answerable = [q for q in questions if not q["impossible"]]
            impossible = [q for q in questions if q["impossible"]]
            half = args.sample // 2
            picked = rng.sample(answerable, min(half, len(answerable))) + rng.sample(
                impossible, min(args.sample - half, len(impossible)))
            rng.shuffle(picked)
            report["answers"] = answer_metrics(services, picked, args.examples)
        services.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
