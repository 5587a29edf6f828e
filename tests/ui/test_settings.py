"""The settings dialog's model server: chosen there, its API key kept in the keychain."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest

from tests.test_secrets import MemoryKeyring


def test_choosing_a_model_server_keeps_the_key_in_the_keychain(
        window, engine, assistant_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import fail

    from assistant.core.remote_llm import RemoteGenerator
    from assistant.ui.settings_dialog import SettingsDialog

    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        dialog = SettingsDialog(engine.settings, parent=window)
        assert not dialog.server.isVisibleTo(dialog) and dialog.model.isEnabled()
        dialog.backend.setCurrentIndex(dialog.backend.findData("openai"))
        assert dialog.server.isVisibleTo(dialog) and not dialog.model.isEnabled()
        dialog.base_url.setText("http://127.0.0.1:9/v1")
        dialog.api_key.setText("sk-typed-in-the-dialog")
        dialog._save()
        assert memory.items == {("assistant", "openai"): "sk-typed-in-the-dialog"}
        assert dialog.key_saved and dialog.api_key.text() == ""
        assert dialog.changes == {("llm", "backend"): "openai",
                                  ("llm", "base_url"): "http://127.0.0.1:9/v1"}
        for (section, key), value in dialog.changes.items():
            engine.save_setting(section, key, value)
        window._apply_settings(new_key=dialog.key_saved)
        config = (assistant_home / "config" / "config.toml").read_text()
        assert 'backend = "openai"' in config and "sk-typed" not in config
        generator = engine.services.generator
        assert isinstance(generator, RemoteGenerator)
        assert generator.api_key == "sk-typed-in-the-dialog"
        assert engine.model_present  # no GGUF needed: the window doesn't ask to download one

        # Without a keychain the dialog says why and stays open; nothing is saved.
        keyring.set_keyring(fail.Keyring())
        warned: list[str] = []
        monkeypatch.setattr("assistant.ui.settings_dialog.QMessageBox.warning",
                            lambda parent, title, text: warned.append(text))
        again = SettingsDialog(engine.settings, parent=window)
        again.api_key.setText("sk-other")
        again._save()
        assert warned and "ASSISTANT_OPENAI_API_KEY" in warned[0]
        assert again.result() == 0 and not again.key_saved
    finally:
        keyring.set_keyring(before)


def test_following_links_out_of_folders_is_a_setting_that_takes_effect(
        window, engine, qtbot, assistant_home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    """Off by default: a link to a folder outside is skipped. Switched on in Settings, the
    running app follows it at the next indexing, and config.toml keeps the choice."""
    from assistant.ui.settings_dialog import SettingsDialog
    from tests.ui.conftest import drop, wait_indexed

    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "recipes.txt").write_text("Rhubarb crumble needs a hot oven.\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "readme.md").write_text("# Read me\n\nA folder with a link in it.\n")
    (docs / "shared").symlink_to(outside, target_is_directory=True)
    assert engine.services.rules.follow_links is False
    dialog = SettingsDialog(engine.settings, parent=window)
    assert not dialog.follow_links.isChecked()
    dialog.follow_links.setChecked(True)
    dialog._save()
    assert dialog.changes == {("indexing", "follow_links"): True}
    for (section, key), value in dialog.changes.items():
        engine.save_setting(section, key, value)
    window._apply_settings(new_key=False)
    assert engine.services.rules.follow_links is True
    assert "follow_links = true" in (assistant_home / "config" / "config.toml").read_text()
    drop(window, [docs])
    wait_indexed(qtbot, engine, 2)
    names = {Path(r.path).name for r in engine.services.catalog.files()}
    assert names == {"readme.md", "recipes.txt"}


def test_the_search_model_is_one_choice_and_the_passage_size_follows_it(
        window, engine) -> None:  # noqa: ANN001
    """Settings, Advanced: MiniLM is one choice away; the passage size is capped at what the
    chosen model reads, and switching there and back keeps what was asked for."""
    from assistant.config import PASSAGE_TOKENS
    from assistant.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(engine.settings, parent=window)
    asked = engine.settings.chunking.max_tokens
    start = dialog.embedder.currentData()
    assert start == engine.settings.embedding.model and dialog.embedder.isEnabled()
    assert dialog.chunk.maximum() == PASSAGE_TOKENS[start]
    other = next(m for m in PASSAGE_TOKENS if m != start)
    dialog.embedder.setCurrentIndex(dialog.embedder.findData(other))
    assert dialog.chunk.maximum() == PASSAGE_TOKENS[other]
    assert dialog.chunk.value() == min(asked, PASSAGE_TOKENS[other])
    assert dialog.collect()[("embedding", "model")] == other
    dialog.embedder.setCurrentIndex(dialog.embedder.findData(start))
    assert dialog.chunk.value() == min(asked, PASSAGE_TOKENS[start])
    assert dialog.collect() == {}
