"""The engine: indexing, retrieval and answering. Never imports Qt."""
