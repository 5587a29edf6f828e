"""Split documents into chunks sized in the embedding model's own tokens.

all-MiniLM-L6-v2 reads at most 256 word pieces and silently drops the rest, so every chunk,
together with the title/heading prefix embedded with it, is kept under that limit.

Paragraphs are kept whole: consecutive paragraphs that fit together make one chunk, with no
overlap (a paragraph is the unit a question is usually about, and repeating text between
chunks costs embedding time for nothing). Only a paragraph longer than the limit is cut, at
sentence or line boundaries where one is near, with a little overlap between its pieces.
Every chunk keeps its page, heading path and character span in the extracted text.

Chunks are bounded in characters too: the word-piece tokenizer turns a "word" longer than
100 characters (a minified line, a base64 blob, a log written without spaces) into a single
unknown token, so a token count alone would let one chunk grow to megabytes.

Memory per file is bounded whatever its size: a section is tokenised a window of text at a
time (WINDOW_CHARS), never whole. The tokenizer's spans cost ~440 bytes a word piece in this
process: a 20 MB log is 8.7 million pieces, and chunking it whole took the app from 45 MB to
3.9 GB. Windows end at a word start, where the tokenizer splits words anyway, and the last
chunk of a window (which the window's end may have cut short) is made again from the next
window, so the chunks are those of the whole text at once.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

from assistant.core.types import Chunk, Document, Section

# text -> character span of each token (no special tokens)
TokenSpans = Callable[[str], list[tuple[int, int]]]

MAX_PREFIX_TOKENS = 32
MAX_TOKEN_CHARS = 100  # longer "tokens" (unknown words) are split at this length
CHARS_PER_TOKEN = 8  # a chunk holds at most this many characters per token of its budget
WINDOW_CHARS = 64 * 1024  # text tokenised at once (~16,000 word pieces, ~7 MB of spans)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SPACE = re.compile(r"\s")

# A span of text and the chunk it makes: (start, end, word pieces, starts inside a paragraph)
_Span = tuple[int, int, int, bool]


def context_for(title: str, heading: str) -> str:
    parts = [p for p in (title, heading) if p]
    return " — ".join(parts)


class Chunker:
    def __init__(self, token_spans: TokenSpans, max_tokens: int, overlap_tokens: int,
                 window_chars: int = WINDOW_CHARS):
        if max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        self.token_spans = token_spans
        self.max_tokens = max_tokens
        self.overlap_tokens = min(overlap_tokens, max_tokens // 2)
        self.window_chars = window_chars

    def chunk(self, document: Document) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in document.sections:
            context = self._context(document.title, section.heading)
            prefix_tokens = len(self.token_spans(context))
            for start, end, tokens in self._section_spans(section, prefix_tokens):
                chunks.append(
                    Chunk(
                        ordinal=len(chunks),
                        text=section.text[start:end],
                        start=section.offset + start,
                        end=section.offset + end,
                        page=section.page,
                        heading=section.heading,
                        context=context,
                        tokens=prefix_tokens + tokens,
                    )
                )
        return chunks

    def _context(self, title: str, heading: str) -> str:
        context = context_for(title, heading)
        spans = self.token_spans(context)
        if len(spans) > MAX_PREFIX_TOKENS:
            context = context[: spans[MAX_PREFIX_TOKENS - 1][1]]
        return context

    def _section_spans(self, section: Section,
                       prefix: int) -> Iterable[tuple[int, int, int]]:
        """(start, end, word pieces) of each chunk of ``section``, a window at a time."""
        text = section.text
        # +1 for the separator between prefix and text
        budget = max(8, self.max_tokens - prefix - 1) if prefix else self.max_tokens
        max_chars = budget * CHARS_PER_TOKEN
        smallest = max(self.window_chars, 2 * max_chars)
        window = smallest
        start = 0  # where the next window's text begins: a word start
        skip_to = 0  # its first chunk begins here (chunks before it are made)
        resume = False  # that chunk continues a paragraph cut in pieces
        while start < len(text):
            stop = min(len(text), start + window)
            words = [(s + start, e + start) for s, e in self.token_spans(text[start:stop])]
            last = stop == len(text)
            if not last:  # the last word may be cut by the window's end: it goes to the next
                words = words[: _cut(text, words)]
            tokens = [t for t in _bounded(words) if t[0] >= skip_to]
            spans = list(self._block_spans(text, tokens, budget, max_chars, resume))
            if last:
                yield from ((s, e, n) for s, e, n, _ in spans)
                return
            if len(spans) < 2:  # sparse text: the window holds less than two chunks
                window *= 2
                continue
            *made, (skip_to, _, _, resume) = spans
            yield from ((s, e, n) for s, e, n, _ in made)
            start, window = _restart_at(text, words, skip_to), smallest

    def _block_spans(self, text: str, tokens: list[tuple[int, int]], budget: int,
                     max_chars: int, resume: bool) -> Iterable[_Span]:
        """The chunks of ``tokens``, paragraphs packed whole where they fit. ``resume``: the
        first paragraph is the rest of one already cut in pieces."""
        if not tokens:
            return
        starts = [s for s, _ in tokens]
        ends = [e for _, e in tokens]
        # Token index where each paragraph starts (the first paragraph at 0).
        breaks = _PARAGRAPH_BREAK.finditer(text, tokens[0][0], tokens[-1][1])
        firsts = sorted({0} | {bisect_left(starts, m.end()) for m in breaks} - {len(tokens)})
        bounds = list(zip(firsts, firsts[1:] + [len(tokens)], strict=True))
        i = 0
        while i < len(bounds):
            lo, hi = bounds[i]
            if (resume and i == 0) or not self._fits(tokens, lo, hi, budget, max_chars):
                yield from self._windows(text, tokens, ends, lo, hi, budget, max_chars)
                i += 1
                continue
            j = i + 1
            while j < len(bounds) and self._fits(tokens, lo, bounds[j][1], budget, max_chars):
                j += 1
            hi = bounds[j - 1][1]
            yield tokens[lo][0], tokens[hi - 1][1], hi - lo, False
            i = j

    @staticmethod
    def _fits(tokens: list[tuple[int, int]], lo: int, hi: int, budget: int,
              max_chars: int) -> bool:
        return hi - lo <= budget and tokens[hi - 1][1] - tokens[lo][0] <= max_chars

    def _windows(self, text: str, tokens: list[tuple[int, int]], ends: list[int], lo: int,
                 n: int, budget: int, max_chars: int) -> Iterable[_Span]:
        """Overlapping pieces of one paragraph too long for a chunk (tokens ``lo..n``;
        ``ends``: the end of each token, made once for all the paragraphs)."""
        overlap = min(self.overlap_tokens, budget // 2)
        i = lo
        while i < n:
            by_chars = bisect_right(ends, tokens[i][0] + max_chars, lo=i, hi=n)
            end = min(i + budget, n, max(i + 1, by_chars))
            if end < n:
                end = self._boundary_before(text, tokens, i, end)
            yield tokens[i][0], tokens[end - 1][1], end - i, i > lo
            if end >= n:
                break
            nxt = self._sentence_start_after(text, tokens, max(i + 1, end - overlap), end)
            i = nxt if overlap else end

    @staticmethod
    def _is_boundary(text: str, tokens: list[tuple[int, int]], j: int) -> int:
        """How good a place token ``j`` is to start a chunk: 2 paragraph/line, 1 sentence, 0."""
        gap = text[tokens[j - 1][1] : tokens[j][0]]
        if "\n" in gap:
            return 2
        prev = text[tokens[j - 1][0] : tokens[j - 1][1]]
        if gap and prev and prev[-1] in ".!?;:" :
            return 1
        return 0

    def _boundary_before(self, text: str, tokens: list[tuple[int, int]], i: int,
                         end: int) -> int:
        """The last good boundary in the second half of the window ``[i, end)``."""
        span = end - i
        lowest = i + max(1, span // 2)
        best_sentence = 0
        for j in range(end, lowest, -1):
            kind = self._is_boundary(text, tokens, j)
            if kind == 2 and j > i + (span * 3) // 4:
                return j
            if kind and not best_sentence:
                best_sentence = j
        return best_sentence or end

    def _sentence_start_after(
        self, text: str, tokens: list[tuple[int, int]], lo: int, end: int
    ) -> int:
        """Start the next chunk at a sentence start inside the overlap, if there is one."""
        for j in range(lo, end):
            if self._is_boundary(text, tokens, j):
                return j
        return lo


def _bounded(tokens: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token spans with over-long ones (unknown words) cut into MAX_TOKEN_CHARS pieces."""
    if all(e - s <= MAX_TOKEN_CHARS for s, e in tokens):
        return tokens
    out: list[tuple[int, int]] = []
    for s, e in tokens:
        while e - s > MAX_TOKEN_CHARS:
            out.append((s, s + MAX_TOKEN_CHARS))
            s += MAX_TOKEN_CHARS
        out.append((s, e))
    return out


def _is_word_start(text: str, words: list[tuple[int, int]], j: int) -> bool:
    """Whether word piece ``j`` begins a word, where a tokenizer splits text before looking at
    it (after white space, at punctuation, at a Han character): a text cut there is
    tokenised into the same pieces as the whole."""
    start, prev_end = words[j][0], words[j - 1][1]
    if _SPACE.search(text, prev_end, start):
        return True
    return _stands_alone(text[start]) or _stands_alone(text[prev_end - 1])


def _stands_alone(ch: str) -> bool:
    """Punctuation (any printable ASCII that is not a letter or digit, as BERT's tokenizer
    counts it) and Han characters are words of their own."""
    code = ord(ch)
    if code < 128:
        return 32 < code < 127 and not ch.isalnum()
    return (unicodedata.category(ch).startswith("P") or 0x3400 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F)


def _cut(text: str, words: list[tuple[int, int]]) -> int:
    """How many of a window's word pieces to keep: those before its last word start (the
    window's end may have cut that word), or all but the last when no piece starts a word."""
    for j in range(len(words) - 1, 0, -1):
        if _is_word_start(text, words, j):
            return j
    return max(1, len(words) - 1)


def _restart_at(text: str, words: list[tuple[int, int]], skip_to: int) -> int:
    """Where the next window begins so that the piece at ``skip_to`` is tokenised as in the
    whole text: the start of its word (of an unknown word cut in MAX_TOKEN_CHARS pieces too:
    the rest of one alone may be short enough to be tokenised in known pieces)."""
    i = bisect_right([s for s, _ in words], skip_to) - 1
    while i > 0 and not _is_word_start(text, words, i):
        i -= 1
    return words[i][0]
