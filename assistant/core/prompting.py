"""Build the chat prompt: numbered sources that fit the model's token budget, then the question."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.core.types import Passage

NOT_FOUND = "I can't find the answer to that in your documents."

SYSTEM_PROMPT = (
    "You answer questions using only the numbered sources the user gives you. "
    "Answer in one or two short sentences, using the words of the sources. "
    "After each sentence, cite the source it comes from like [1]. "
    f'If the sources do not contain the answer, reply only: "{NOT_FOUND}"'
)

# Tokens the chat template adds around messages (role markers etc.), with some slack.
TEMPLATE_OVERHEAD = 48
MIN_SOURCE_TOKENS = 48


def source_header(n: int, passage: Passage) -> str:
    name = Path(passage.path).name
    where = f", page {passage.page}" if passage.page is not None else ""
    heading = f" — {passage.heading}" if passage.heading else ""
    return f"[{n}] {name}{where}{heading}"


def build_messages(
    question: str,
    passages: list[Passage],
    count_tokens: Callable[[str], int],
    budget: int,
    earlier_question: str = "",
) -> tuple[list[dict[str, str]], list[Passage]]:
    """Messages for the model and the passages that made it into the prompt, in order.

    ``budget`` is the number of prompt tokens available (context minus the answer's room).
    A source that does not fit whole is cut at a word boundary, if enough room is left.
    ``earlier_question`` is the question a follow-up refers back to.
    """
    question_part = f"Question: {question.strip()}"
    if earlier_question:
        question_part = (f"Earlier question: {earlier_question.strip()}\n"
                         f"Question (follows on from it): {question.strip()}")
    used_tokens = (
        count_tokens(SYSTEM_PROMPT) + count_tokens(question_part) + TEMPLATE_OVERHEAD + 8
    )
    blocks: list[str] = []
    used: list[Passage] = []
    for passage in passages:
        header = source_header(len(used) + 1, passage)
        block = f"{header}\n{passage.text.strip()}"
        cost = count_tokens(block) + 2
        if used_tokens + cost > budget:
            room = budget - used_tokens - count_tokens(header) - 4
            if room < MIN_SOURCE_TOKENS:
                break
            text = _cut_to_tokens(passage.text.strip(), room, count_tokens)
            block = f"{header}\n{text}"
            cost = count_tokens(block) + 2
        blocks.append(block)
        used.append(passage)
        used_tokens += cost
    user = "Sources:\n\n" + "\n\n".join(blocks) + "\n\n" + question_part
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}], used


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
