"""``python -m assistant.ui.i18n update|release``: see the package's docstring."""

from assistant.ui.i18n import main

raise SystemExit(main())
