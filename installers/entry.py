"""The bundle's entry point: the same command line as `assistant` (no command: the window)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from assistant.cli import main

    sys.exit(main())
