"""Build the chat prompt: the evidence sentences, numbered by source, within the model's token
budget, then the question."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.core.types import Passage

NOT_FOUND = "I can't find the answer to that in your documents."

# Tokens the chat template adds around messages (role markers etc.), with some slack.
TEMPLATE_OVERHEAD = 48
MIN_SOURCE_TOKENS = 48


def source_header(n: int, passage: Passage) -> str:
    name = Path(passage.path).name
    where = f", page {passage.page}" if passage.page is not None else ""
    heading = f" — {passage.heading}" if passage.heading else ""
    return f"[{n}] {name}{where}{heading}"


def _cut_to_tokens(text: str, limit: int, count_tokens: Callable[[str], int]) -> str:
    words = text.split(" ")
    lo, hi = 0, len(words)
    while lo < hi:  # longest prefix of words within the limit
        mid = (lo + hi + 1) // 2
        if count_tokens(" ".join(words[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo]) + " …"


EVIDENCE_PROMPT = (
    "Answer the question using only the numbered sources. Reply with one short sentence "
    "that answers exactly what is asked, in the words of the sources. "
    f'If the sources do not answer it, reply only: "{NOT_FOUND}"'
)


# Asked on its own after the model's draft (see Answerer._judge): the best evidence sentence
# and the question, nothing else. Given the five sources and its own answer, the same model
# said "yes" to answerable and unanswerable questions alike (ROC AUC 0.50 on the tuning
# half); given one sentence it tells them apart better (0.72).
JUDGE_SYSTEM = ("You check whether a text answers a question. Reply with one word: yes or no.")


def judge_messages(question: str, sentence: str,
                   earlier_question: str = "") -> list[dict[str, str]]:
    asked = f"Question: {question.strip()}"
    if earlier_question:  # a follow-up ("And when did it close?") needs what it follows
        asked = f"Earlier question: {earlier_question.strip()}\n{asked}"
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Text: {sentence.strip()}\n\n{asked}\n\n"
                                        "Does the text state the answer to this exact "
                                        "question? Reply yes or no."}]


def evidence_messages(question: str, blocks: list[tuple[Passage, str]],
                      count_tokens: Callable[[str], int], budget: int,
                      earlier_question: str = "") -> list[dict[str, str]]:
    """A short prompt: the few sentences that hold the answer, numbered by passage, within
    ``budget`` prompt tokens (the last ones are cut at a word, or left out, when needed)."""
    question_part = f"Question: {question.strip()}"
    if earlier_question:
        question_part = (f"Earlier question: {earlier_question.strip()}\n"
                         f"Question (follows on from it): {question.strip()}")
    used = (count_tokens(EVIDENCE_PROMPT) + count_tokens(question_part) + TEMPLATE_OVERHEAD
            + 8)
    parts = []
    for n, (passage, text) in enumerate(blocks, start=1):
        header = source_header(n, passage)
        block = f"{header}\n{text}"
        cost = count_tokens(block) + 2
        if used + cost > budget:
            room = budget - used - count_tokens(header) - 4
            if room < MIN_SOURCE_TOKENS:
                break
            block = f"{header}\n{_cut_to_tokens(text, room, count_tokens)}"
            cost = count_tokens(block) + 2
        parts.append(block)
        used += cost
    user = "Sources:\n\n" + "\n\n".join(parts) + f"\n\n{question_part}"
    return [{"role": "system", "content": EVIDENCE_PROMPT}, {"role": "user", "content": user}]
