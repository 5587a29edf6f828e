"""Where configuration, data and models live.

``ASSISTANT_HOME`` moves everything (config and data) into one directory; tests and
scripts rely on it. Without it, the platform's user config and data directories are used.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "assistant"
HOME_ENV = "ASSISTANT_HOME"

# The repository checkout this package runs from, when it runs from one (``pip install -e``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def config_dir() -> Path:
    base = home()
    return base / "config" if base else platformdirs.user_config_path(APP_NAME)


def config_file() -> Path:
    return config_dir() / "config.toml"


def default_data_dir() -> Path:
    base = home()
    return base / "data" if base else platformdirs.user_data_path(APP_NAME)


def default_models_dir() -> Path:
    """``models/`` of the checkout when running from one, else a folder in the data dir."""
    checkout_models = PROJECT_ROOT / "models"
    if (PROJECT_ROOT / "pyproject.toml").is_file() and checkout_models.is_dir():
        return checkout_models
    return default_data_dir() / "models"
