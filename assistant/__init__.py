"""A private, local-first assistant that answers from your documents with cited sources."""

__version__ = "0.1.0"
