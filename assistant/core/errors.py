"""Errors the user sees as one clear line. Anything else is a bug."""

from __future__ import annotations


class AssistantError(Exception):
    """An error with a message meant for the user."""


class ModelMissingError(AssistantError):
    pass


class EmptyQuestionError(AssistantError):
    pass


class StoreError(AssistantError):
    pass


class LoaderError(AssistantError):
    """A file that could not be read. ``reason`` is a short stable code, the message says why.

    Reasons: unsupported-type, encrypted, no-text-layer, corrupt, too-large, permission-denied,
    vanished, not-text, empty, machine-generated.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def read_error(exc: OSError, name: str) -> LoaderError:
    """The specific reason for an OS error met while reading the file ``name``."""
    if isinstance(exc, FileNotFoundError):
        return LoaderError("vanished", f"{name} disappeared while being read")
    if isinstance(exc, PermissionError):
        return LoaderError("permission-denied", f"{name}: permission denied")
    if isinstance(exc, IsADirectoryError):
        return LoaderError("unsupported-type", f"{name} is a folder")
    return LoaderError("unreadable", f"{name} cannot be read ({exc.strerror or exc})")
