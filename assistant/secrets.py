"""Secrets (a Chroma server's token, an OpenAI-compatible server's API key) in the OS keychain.

They are read from the environment first (``ASSISTANT_CHROMA_TOKEN``, ``ASSISTANT_OPENAI_API_KEY``),
so a headless machine without a keychain can still use them, then from the keychain through
``keyring`` (macOS Keychain, Windows Credential Locker, the Secret Service on Linux desktops).
They are never written to config.toml and never logged.
"""

from __future__ import annotations

import os

from assistant.core.errors import AssistantError

SERVICE = "assistant"
SECRETS = {
    "chroma": ("ASSISTANT_CHROMA_TOKEN", "the Chroma server's token"),
    "openai": ("ASSISTANT_OPENAI_API_KEY", "the model server's API key"),
}


class NoKeychainError(AssistantError):
    pass


def _check(name: str) -> tuple[str, str]:
    if name not in SECRETS:
        raise AssistantError(f"unknown secret {name!r}: one of {', '.join(sorted(SECRETS))}")
    return SECRETS[name]


def _no_keychain(name: str, exc: Exception) -> NoKeychainError:
    env, _ = SECRETS[name]
    return NoKeychainError(
        f"no keychain is available on this machine ({exc.__class__.__name__}); set {env} in "
        "the environment instead, or install a keyring backend (a desktop's Secret Service, "
        "or `pip install keyrings.alt` for a file the keyring package manages)")


def get(name: str) -> str | None:
    """The secret from the environment, else the keychain, else None (a missing keychain is
    not an error here: a server may need no token)."""
    env, _ = _check(name)
    if os.environ.get(env):
        return os.environ[env]
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(SERVICE, name)
        except KeyringError:
            return None
    except ImportError:
        return None


def save(name: str, value: str) -> None:
    _check(name)
    if not value:
        raise AssistantError("the secret is empty")
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        keyring.set_password(SERVICE, name, value)
    except NoKeyringError as exc:
        raise _no_keychain(name, exc) from exc
    except KeyringError as exc:
        raise AssistantError(f"the keychain refused to store {SECRETS[name][1]}: {exc}") from exc


def clear(name: str) -> bool:
    """Remove the secret from the keychain; False when there was none."""
    _check(name)
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, name)
        return True
    except PasswordDeleteError:
        return False
    except NoKeyringError as exc:
        raise _no_keychain(name, exc) from exc
    except KeyringError as exc:
        raise AssistantError(f"the keychain refused to remove {SECRETS[name][1]}: {exc}") from exc
