"""Cross-language search, measured: English questions over Chinese documents, with the question
alone against the question and its Chinese translation by the local model (RAGFlow's
cross-language search). A measurement for issue 23, not a product feature.

    python scripts/eval_translate.py ../shared/eval/multilingual [--model FILE] [--limit N]

XQuAD's Chinese documents are indexed in a throw-away ASSISTANT_HOME; each English question
(matched by id, gold paragraph and answer the Chinese ones, as in scripts/eval.py) is
translated into Chinese by the local model, then searched as:

- ``dense.en``: the embedder alone on the English question (the vector store's top 10);
- ``dense.zh_translated``: the embedder alone on the translation;
- ``dense.both``: the two dense rankings fused (reciprocal rank, k = 60);
- ``product.en`` / ``product.both``: the product's search (dense + keywords, fused) on the
  English question, and on both questions fused the same way;
- ``*.zh_original``: XQuAD's own Chinese question, the ceiling a perfect translation reaches.

Prints one JSON object: recall@1/5 with counts per way, translation seconds, examples.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import eval as squad_eval  # noqa: E402  (scripts/eval.py)

K = 10
RRF_K = 60
PROMPT = ("Translate the user's question into Simplified Chinese. Reply with the Chinese "
          "question only, no explanation.")
EXAMPLE = ("What year did the Normans conquer England?", "诺曼人在哪一年征服了英格兰？")


def translate(generator: Any, question: str, max_tokens: int = 96) -> str:
    messages = [{"role": "system", "content": PROMPT},
                {"role": "user", "content": EXAMPLE[0]},
                {"role": "assistant", "content": EXAMPLE[1]},
                {"role": "user", "content": question}]
    text = "".join(generator.stream_chat(messages, max_tokens, 0.0, stop=["\n\n"]))
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.strip().strip("\"“”「」").strip()


def fuse(*rankings: list[str]) -> list[str]:
    """Reciprocal-rank fusion of chunk-id rankings."""
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking, 1):
            score[chunk_id] = score.get(chunk_id, 0.0) + 1 / (RRF_K + rank)
    return sorted(score, key=lambda i: (-score[i], i))


def dense(services: Any, question: str) -> list[str]:
    return [i for i, _ in services.store.query(services.embedder.encode_query(question), K)]


def product(services: Any, question: str) -> list[str]:
    return [p.chunk_id for p in services.search(question, K)]


def rank_of(services: Any, q: dict, ids: list[str]) -> int | None:
    known = services.catalog.passages(ids[:K])
    for rank, chunk_id in enumerate(ids[:K], 1):
        p = known.get(chunk_id)
        if p and squad_eval.is_hit(q, p.path, p.start, p.end, p.text):
            return rank
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the multilingual data folder")
    parser.add_argument("--docs", default="zh", help="documents' language (default: zh)")
    parser.add_argument("--questions", default="en", help="questions' language (default: en)")
    parser.add_argument("--model", help="GGUF file name in models/ or a path (default: settings)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    args = parser.parse_args(argv)
    if args.model:
        os.environ["ASSISTANT_LLM__MODEL"] = args.model

    def load(lang: str) -> dict:
        path = args.folder / f"xquad-3articles.{lang}.json"
        return json.loads(path.read_text(encoding="utf-8"))

    docs_data, q_data = load(args.docs), load(args.questions)
    ways = ("dense.en", "dense.zh_translated", "dense.both", "product.en", "product.both",
            "dense.zh_original", "product.zh_original")
    ranks: dict[str, list[int | None]] = {w: [] for w in ways}
    seconds: list[float] = []
    examples: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="assistant-eval-tr-") as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        questions, _ = squad_eval.write_articles(docs_data, docs, args.docs)
        asked, missing = squad_eval.ask_in(questions, squad_eval.questions_by_id(q_data),
                                           args.questions)
        native = {q["id"]: q["question"] for q in questions}
        if args.limit:
            asked = asked[:args.limit]
        with squad_eval.product(Path(tmp) / "home") as services:
            indexed = squad_eval.index_documents(services, docs)
            generator = services.generator
            for q in asked:
                t = time.perf_counter()
                translated = translate(generator, q["question"])
                seconds.append(time.perf_counter() - t)
                d_en, d_tr = dense(services, q["question"]), dense(services, translated or " ")
                p_en, p_tr = product(services, q["question"]), product(services,
                                                                        translated or " ")
                orig = native[q["id"]]
                for way, ids in (("dense.en", d_en), ("dense.zh_translated", d_tr),
                                 ("dense.both", fuse(d_en, d_tr)), ("product.en", p_en),
                                 ("product.both", fuse(p_en, p_tr)),
                                 ("dense.zh_original", dense(services, orig)),
                                 ("product.zh_original", product(services, orig))):
                    ranks[way].append(rank_of(services, q, ids))
                if len(examples) < 8:
                    examples.append({"en": q["question"], "translated": translated,
                                     "original_zh": orig,
                                     "han_share": squad_eval.language_share(translated, "zh")})
            model = services.settings.llm.model
    translations_in_chinese = sum(1 for e in examples if (e["han_share"] or 0) >= 0.5)
    report = {
        "documents": args.docs, "questions": args.questions, "asked": len(asked),
        "questions_without_match": missing, "model": model, **indexed,
        "figures": {w: squad_eval.recall_figures(r, (1, 5)) for w, r in ranks.items()},
        "translation_seconds_p50": round(statistics.median(seconds), 3) if seconds else None,
        "translation_examples_in_chinese": f"{translations_in_chinese}/{len(examples)}",
        "examples": examples,
    }
    best = max(("dense.en", "dense.both", "product.en", "product.both"),
               key=lambda w: (report["figures"][w]["recall@5"] or 0,
                              report["figures"][w]["recall@1"] or 0))
    report["wins_recall@5_then_@1"] = best
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

