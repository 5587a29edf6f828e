"""Choose the abstention thresholds from an open evaluation run (the model answered
everything), and print the trade-off curve.

    python scripts/eval.py DATA --split tune --open --dump tune.jsonl
    python scripts/calibrate.py tune.jsonl [--max-false 0.10]

The engine decides "not in your documents" from signals measured together (see
assistant/core/evidence.py): the best sentence's score, the share of the question's names
and numbers found in the best passage, whether the kind of thing asked for (a time, a number,
a name) is there, and whether the model's draft held up. Each threshold setting is replayed
over the dumped answers; the one with the most abstention on unanswerable questions whose
false abstention on answerable ones stays within ``--max-false`` is printed, with the curve
of the best-sentence threshold around it, and of the judge's threshold (the model's yes/no
log-odds, asked after its draft, that the sources answer the question as asked). Prints JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path


def replay(records: list[dict], skip: float, quote: float, keys: float,
           numbers: bool = True, contrary: bool = True, judged: float | None = None) -> dict:
    ans = [r for r in records if not r["impossible"]]
    imp = [r for r in records if r["impossible"]]

    def abstains(r: dict) -> bool:
        c = r["confidence"]
        if not c or c["score"] < skip or c["keys_found"] < keys:
            return True
        if numbers and c.get("numbers_missing"):
            return True
        if contrary and c.get("contrary"):
            return True
        if judged is not None and c.get("judged") is not None and c["judged"] < judged:
            return True  # the model, asked after its draft, says the sources don't answer
        if r["reason"] == "":
            return False  # the model's answer held up
        if r["reason"] == "quoted":
            return c["score"] < quote
        return True

    kept = [r for r in ans if not abstains(r)]
    return {
        "skip_model": round(skip, 4), "quote": round(quote, 4), "keys": keys,
        "numbers": numbers, "contrary": contrary,
        "judged": None if judged is None else round(judged, 4),
        "abstention_on_unanswerable": round(sum(map(abstains, imp)) / max(1, len(imp)), 4),
        "false_abstention_on_answerable": round(1 - len(kept) / max(1, len(ans)), 4),
        "answer_containment": round(sum(r["contained"] for r in kept) / max(1, len(ans)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--max-false", type=float, default=0.10,
                        help="largest false abstention allowed on answerable questions")
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in args.dump.read_text().splitlines() if line]
    scores = sorted(r["confidence"]["score"] for r in records if r["confidence"])
    grid = sorted({round(scores[int(q * (len(scores) - 1))], 3) for q in
                   [i / 40 for i in range(41)]})
    odds = sorted(r["confidence"]["judged"] for r in records
                  if r["confidence"] and r["confidence"].get("judged") is not None)
    judge_grid: list[float | None] = [None]
    if odds:
        judge_grid += sorted({round(odds[int(q * (len(odds) - 1))], 3) for q in
                              [i / 20 for i in range(12)]})
        grid = grid[::2]  # fewer score steps when the judge's threshold is searched too
    best = None
    for skip, quote, keys, numbers, opposite, judged in itertools.product(
            grid, grid, (0.0, 0.25, 0.5, 0.75, 1.0), (False, True), (False, True), judge_grid):
        if quote < skip:
            continue
        r = replay(records, skip, quote, keys, numbers, opposite, judged)
        if r["false_abstention_on_answerable"] > args.max_false:
            continue
        key = (r["abstention_on_unanswerable"], r["answer_containment"])
        if best is None or key > best[0]:
            best = (key, r)
    chosen = best[1] if best else None
    curve = []
    if chosen:
        curve = [replay(records, s, max(s, chosen["quote"]), chosen["keys"], chosen["numbers"],
                        chosen["contrary"], chosen["judged"]) for s in grid]
    print(json.dumps({"records": len(records), "max_false_abstention": args.max_false,
                      "chosen": chosen,
                      "open": replay(records, -9, -9, 0.0, False, False),
                      "curve_over_skip_model": curve,
                      "curve_over_judged": [
                          replay(records, chosen["skip_model"], chosen["quote"], chosen["keys"],
                                 chosen["numbers"], chosen["contrary"], j)
                          for j in judge_grid] if chosen else []}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
