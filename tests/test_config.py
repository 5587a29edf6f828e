"""Settings: ASSISTANT_HOME, TOML in the config dir, environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant import paths
from assistant.config import load_settings, save_settings


def test_home_moves_config_and_data(assistant_home: Path) -> None:
    s = load_settings()
    assert s.data_path == assistant_home / "data"
    assert paths.config_file() == assistant_home / "config" / "config.toml"


def test_toml_then_env_precedence(assistant_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    s.retrieval.top_k = 9
    s.llm.n_ctx = 2048
    save_settings(s)
    assert load_settings().retrieval.top_k == 9
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "3")
    reloaded = load_settings()
    assert reloaded.retrieval.top_k == 3 and reloaded.llm.n_ctx == 2048


def test_model_path_relative_to_models_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_LLM__MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_LLM__MODEL", "x.gguf")
    assert load_settings().model_path == tmp_path / "x.gguf"


def test_newer_schema_is_refused(assistant_home: Path) -> None:
    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text("schema_version = 99\n")
    with pytest.raises(ValidationError):
        load_settings()


def test_changing_one_setting_keeps_the_users_comments(assistant_home: Path) -> None:
    from assistant.config import update_config_file

    cfg = paths.config_file()
    cfg.parent.mkdir(parents=True)
    cfg.write_text("# my settings\n[llm]\n# the bigger model is worth it\n"
                   'model = "qwen2.5-coder-0.5b-instruct.gguf"  # 491 MB\n')
    update_config_file("watch", "folders", ["/home/me/Notes", "/home/me/Papers"])
    text = cfg.read_text()
    assert "# my settings" in text and "# the bigger model is worth it" in text
    assert "# 491 MB" in text
    s = load_settings()
    assert s.watch.folders == ["/home/me/Notes", "/home/me/Papers"]
    assert s.llm.model == "qwen2.5-coder-0.5b-instruct.gguf"
    assert cfg.stat().st_mode & 0o077 == 0  # it names the user's folders: private
    save_settings(s)
    assert "# the bigger model is worth it" in cfg.read_text()


def test_links_out_of_a_folder_are_not_followed_unless_allowed(assistant_home: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    s = load_settings()
    assert s.indexing.follow_links is False
    assert "never" in type(s.indexing).model_fields["follow_links"].description
    monkeypatch.setenv("ASSISTANT_INDEXING__FOLLOW_LINKS", "true")
    assert load_settings().indexing.follow_links is True


def test_folders_whose_names_are_not_utf8_survive_config_toml(assistant_home: Path) -> None:
    """config.toml is UTF-8 text; a Latin-1 folder name (bytes on Linux) must still be kept,
    by both ways of writing the file, and come back as the same path."""
    import os

    from assistant.config import update_config_file

    latin1 = os.fsdecode(b"/home/me/caf\xe9")
    tricky = os.fsdecode(b"/home/me/a\\xe9\\\\b\xff")  # backslashes beside an odd byte
    plain = "/home/me/back\\slash"
    update_config_file("watch", "folders", [latin1])
    cfg = paths.config_file()
    cfg.read_text(encoding="utf-8")  # still UTF-8
    assert load_settings().watch.folders == [latin1]
    update_config_file("watch", "folders", [latin1, tricky, plain])
    update_config_file("watch", "excluded", [tricky])
    s = load_settings()
    assert s.watch.folders == [latin1, tricky, plain] and s.watch.excluded == [tricky]
    s.retrieval.top_k = 7
    save_settings(s)
    cfg.read_text(encoding="utf-8")
    again = load_settings()
    assert again.watch.folders == [latin1, tricky, plain] and again.retrieval.top_k == 7
    assert 'back\\\\slash"' in cfg.read_text()  # an ordinary name is written as itself
