"""Memory per file is bounded whatever its size (security review, issue 22, finding 4).

Chunking tokenised a section whole, in the app process: the tokenizer's spans of a 20 MB log
(8.7 million word pieces) took it from 45 MB to 3.9 GB. It now tokenises a window at a time,
and the chunks are the same as those of the whole text.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.core.chunking import Chunker
from assistant.core.embedding import Embedder
from assistant.core.types import Document, Section

REPO = Path(__file__).resolve().parent.parent
LAST_WORD = "zebracorn"


def write_log(path: Path, size: int) -> Path:
    """A plain-text log of about ``size`` bytes, no blank lines (one paragraph), whose last
    line holds LAST_WORD."""
    rnd = random.Random(7)
    words = ["request", "worker", "timeout", "cache", "miss", "retry", "session", "payload"]
    lines, total, i = [], 0, 0
    while total < size:
        line = (f"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z INFO "
                f"worker-{i % 16} request {rnd.randrange(10**6)} GET /api/items/{i} took "
                f"{rnd.randrange(500)} ms {rnd.choice(words)} {rnd.choice(words)} status=200\n")
        lines.append(line)
        total += len(line)
        i += 1
    lines.append(f"2024-05-01T23:59:59.999Z WARN the last line mentions {LAST_WORD} once\n")
    path.write_text("".join(lines))
    return path


@pytest.fixture(scope="module")
def tokenizer() -> Embedder:
    return Embedder()  # only its tokenizer: the model is not loaded


def test_a_long_section_is_tokenised_a_bounded_window_at_a_time(tokenizer: Embedder,
                                                                 tmp_path: Path) -> None:
    """2 MB in one section: the tokenizer never sees more than a window of it, and the
    chunks still cover all of it, each counting the word pieces it is embedded with."""
    text = write_log(tmp_path / "app.log", 2_000_000).read_text()
    seen: list[int] = []

    def token_spans(t: str) -> list[tuple[int, int]]:
        seen.append(len(t))
        return tokenizer.token_spans(t)

    chunks = Chunker(token_spans, 254, 40).chunk(
        Document("/x/app.log", "app", [Section(text, 0)]))
    assert max(seen) <= 256 * 1024, f"the tokenizer was given {max(seen):,} characters"
    covered = bytearray(len(text))
    for c in chunks:
        assert text[c.start:c.end] == c.text
        covered[c.start:c.end] = b"\x01" * (c.end - c.start)
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    assert LAST_WORD in chunks[-1].text
    for c in chunks[:100] + chunks[-100:]:
        assert tokenizer.count_tokens(f"{c.context}\n{c.text}") == c.tokens <= 254


def mixed_text(rnd: random.Random, words: int) -> str:
    """Paragraphs short and long, sentences, line breaks, unknown "words" longer than the
    tokenizer reads, Han characters, punctuation runs and accents."""
    vocab = ["alpha", "beta.", "Gamma;", "unbelievable", "x" * 150, "中文字符", "ab1,ab1,",
             "café", "e\u0301te\u0301", "\n", "\n\n", "  ", "3.14", "https://ex.com/a?b=c", "—"]
    return " ".join(rnd.choice(vocab) for _ in range(words))


@pytest.mark.parametrize("max_tokens,overlap", [(16, 8), (64, 20), (254, 40), (120, 0)])
def test_windowed_chunks_are_the_chunks_of_the_whole_text(tokenizer: Embedder,
                                                          max_tokens: int, overlap: int) -> None:
    """Windows as small as they can be give the chunks (boundaries, counts, overlaps) that
    one window over the whole section gives."""
    rnd = random.Random(max_tokens)
    for _ in range(6):
        doc = Document("/x/a.md", "Notes", [Section(mixed_text(rnd, 3_000), 5, heading="H")])
        whole = Chunker(tokenizer.token_spans, max_tokens, overlap, window_chars=10**9)
        windowed = Chunker(tokenizer.token_spans, max_tokens, overlap, window_chars=1)
        assert windowed.chunk(doc) == whole.chunk(doc)


CHUNK_A_FILE = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    from assistant.core import loaders
    from assistant.core.chunking import Chunker
    from assistant.core.embedding import Embedder

    def peak_mb():
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb / (1024 * 1024 if sys.platform == "darwin" else 1024)

    e = Embedder()
    e.token_spans("warm up")  # the tokenizer is loaded before the baseline
    path = Path(sys.argv[1])
    document = loaders.load(path)
    base = peak_mb()
    chunks = Chunker(e.token_spans, e.max_text_tokens, 40).chunk(document)
    print(json.dumps({"base": base, "peak": peak_mb(), "chunks": len(chunks),
                      "last": chunks[-1].text}))
""")


def test_chunking_a_large_log_keeps_memory_bounded(tmp_path: Path) -> None:
    """An 8 MB log chunked in a process of its own: its peak resident memory grows by far
    less than the text's word pieces would take whole (old: +1.7 GB; +3.8 GB for 20 MB)."""
    log = write_log(tmp_path / "big.log", 8_000_000)
    out = subprocess.run([sys.executable, "-c", CHUNK_A_FILE, str(log)], capture_output=True,
                         text=True, timeout=600, cwd=REPO,
                         env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["peak"] - result["base"] < 300, result
    assert LAST_WORD in result["last"]
    assert result["chunks"] > 10_000


def test_a_large_log_is_searchable_to_its_last_line(tmp_path: Path,
                                                    assistant_home: Path) -> None:
    """A log longer than several windows goes through `assistant index` whole: its last
    line is found by `assistant search`."""
    (tmp_path / "logs").mkdir()
    log = write_log(tmp_path / "logs" / "service.log", 100_000)
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True,
                              text=True, timeout=900, cwd=REPO, env=env)

    indexed = cli("index", "--json", str(log))
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    assert json.loads(indexed.stdout.splitlines()[-1])["failed"] == 0
    found = cli("search", "--json", "-k", "3", LAST_WORD)
    assert found.returncode == 0, found.stderr[-2000:]
    assert any(LAST_WORD in r["text"] for r in json.loads(found.stdout))
