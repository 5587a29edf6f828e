"""Secrets live in the OS keychain (through keyring), or in the environment; never in
config.toml. A small in-memory keyring backend stands in for the OS keychain."""

from __future__ import annotations

import io
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from assistant import cli, secrets


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise PasswordDeleteError(username)
        del self.items[(service, username)]


@pytest.fixture
def keychain():
    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(before)


def test_key_set_and_clear_through_the_keychain(keychain: MemoryKeyring, assistant_home: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-local-123\n"))
    assert cli.main(["key", "set", "openai"]) == 0
    assert keychain.items == {("assistant", "openai"): "sk-local-123"}
    assert secrets.get("openai") == "sk-local-123"
    assert "sk-local-123" not in capsys.readouterr().out
    config = assistant_home / "config" / "config.toml"
    assert not config.exists() or "sk-local-123" not in config.read_text()
    # the environment wins over the keychain (a service started with its own key)
    monkeypatch.setenv("ASSISTANT_OPENAI_API_KEY", "sk-from-env")
    assert secrets.get("openai") == "sk-from-env"
    monkeypatch.delenv("ASSISTANT_OPENAI_API_KEY")
    assert cli.main(["key", "clear", "openai"]) == 0
    assert secrets.get("openai") is None
    assert cli.main(["key", "clear", "openai"]) == 0
    assert "held no" in capsys.readouterr().out


def test_without_a_keychain_the_message_says_what_to_do(
        assistant_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert secrets.get("chroma") is None  # a server may need no token: not an error
        monkeypatch.setattr("sys.stdin", io.StringIO("token\n"))
        assert cli.main(["key", "set", "chroma"]) == 1
        err = capsys.readouterr().err
        assert "no keychain is available" in err and "ASSISTANT_CHROMA_TOKEN" in err
        assert "keyrings.alt" in err and err.count("\n") == 1
    finally:
        keyring.set_keyring(before)


def test_an_empty_secret_is_refused(keychain: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert cli.main(["key", "set", "chroma"]) == 1
    assert "empty" in capsys.readouterr().err
    assert keychain.items == {}
