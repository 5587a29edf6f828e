"""The desktop app (PySide6). The only package that imports Qt; it renders the engine's
events and sends it requests, and re-implements none of its work."""
