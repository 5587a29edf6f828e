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
    vanished, not-text, empty.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
