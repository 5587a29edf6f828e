# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install, fetch the default model, open the assistant's window
#   make test   install what the tests need too, then run the suite
# Override on the command line, e.g. `make run LLAMA_BACKEND=cuda TORCH_SPEC=torch`.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# A CPU build of torch; an unpinned torch pulls a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
LLAMA_CPP_VERSION ?= 0.3.36

# llama.cpp is compiled by pip, for the backend this machine can run (assistant/llama_build.py
# decides and says why: CUDA only when a GPU answers and the toolkit is complete, Metal on
# Apple Silicon, else the portable CPU build; a failed accelerated build falls back to the CPU).
# Force one with LLAMA_BACKEND=cpu|cuda|metal, or give the flags with LLAMA_CMAKE_ARGS=...
LLAMA_BACKEND ?= auto
LLAMA_CMAKE_ARGS ?=
# Built wheels are kept per (version, build flags) outside the checkout, so a fresh clone
# does not compile llama.cpp again; empty = $XDG_CACHE_HOME or ~/.cache, /assistant/wheels.
WHEELHOUSE ?=

.PHONY: run test test-models install install-dev llama model demo bench eval lint clean help desktop-entry bundle

help:
	@echo "make run    set up everything and open the assistant's window"
	@echo "make demo   the command-line demo (no window needed)"
	@echo "make test   set up everything and run the test suite"
	@echo "make model  fetch the default model into models/"
	@echo "make desktop-entry  put Assistant in the desktop's menu (Linux)"
	@echo "make bundle  build dist/assistant/ with PyInstaller and smoke-test it"
	@echo "make bench  print benchmark figures (JSON)"
	@echo "make eval   evaluate on ../shared/eval/squad2-dev.json (JSON)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

# Always asked, answered at once when the venv already has the wheel for today's choice.
llama: | $(PY)
	@$(PY) -m assistant.llama_build --python $(PY) --version $(LLAMA_CPP_VERSION) \
		--backend "$(LLAMA_BACKEND)" --cmake-args "$(LLAMA_CMAKE_ARGS)" \
		$(if $(WHEELHOUSE),--wheelhouse "$(WHEELHOUSE)") --marker $(VENV)/.llama-wheel

$(VENV)/.installed: pyproject.toml | llama
	$(PIP) install "$(TORCH_SPEC)"
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[dev]"
	touch $@

# Qt (even offscreen, as the tests run it) needs a few system libraries that minimal
# machines and CI images may lack; install them where we can, or say which.
QT_LIBS := libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libglib2.0-0
$(VENV)/.qt-ok: $(VENV)/.installed-dev
	@if ! QT_QPA_PLATFORM=offscreen $(PY) -c "from PySide6.QtWidgets import QApplication; \
		from PySide6 import QtPdf; QApplication([])" >/dev/null 2>&1; then \
		echo "Qt needs system libraries: $(QT_LIBS)"; \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get install -y -qq $(QT_LIBS) >/dev/null 2>&1 || \
			{ apt-get update -qq && apt-get install -y -qq $(QT_LIBS); } || exit 1; \
		else echo "install them with your package manager, then run make again"; exit 1; fi; \
	fi
	@touch $@

# The tests of the global shortcut and the tray run a private X server with a tray host;
# they are skipped (with the reason) where these can't be installed.
X11_TOOLS := xvfb xdotool trayer
$(VENV)/.x11-tools: $(VENV)/.installed-dev
	@if ! command -v Xvfb >/dev/null || ! command -v xdotool >/dev/null || \
		! command -v trayer >/dev/null; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get install -y -qq $(X11_TOOLS) >/dev/null 2>&1 || \
			{ apt-get update -qq >/dev/null 2>&1 && \
			  apt-get install -y -qq $(X11_TOOLS) >/dev/null 2>&1; } || \
			echo "note: could not install $(X11_TOOLS); their tests will be skipped"; \
		else echo "note: $(X11_TOOLS) are missing; the X11 shortcut and tray tests are skipped"; \
		fi; \
	fi
	@touch $@

install: llama $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(VENV)/.qt-ok $(VENV)/.x11-tools

model: install
	$(PY) scripts/fetch_model.py

run: install model
	@if [ "$$(uname -s)" = Linux ] && ! ldconfig -p 2>/dev/null | grep -q libxcb-cursor.so.0; then \
		echo "note: Qt's window needs libxcb-cursor0 (e.g. sudo apt install libxcb-cursor0)"; fi
	$(VENV)/bin/assistant gui

# The command-line demo: index the sample documents and answer a sample question.
demo: install model
	$(VENV)/bin/assistant demo

# The tests also run SmolLM2 135M (98 MB) behind llama-cpp-python's OpenAI-compatible server.
test-models: install
	@$(PY) scripts/fetch_model.py smollm2-135m

test: install-dev model test-models
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: install-dev model
	$(PY) scripts/bench.py

eval: install model
	$(PY) scripts/eval.py ../shared/eval/squad2-dev.json

lint: install-dev
	$(VENV)/bin/ruff check assistant tests scripts

# Show the app in the desktop's menu (Linux, for this checkout's venv): the .desktop entry,
# the AppStream metainfo and the icons, under $XDG_DATA_HOME (~/.local/share).
desktop-entry:
	@installers/linux/install-desktop-entry.sh $(VENV)/bin resources

# The app as one folder (dist/assistant/, models left out) with PyInstaller, then its smoke
# test: it starts, `doctor` runs, it indexes and answers headless, its window opens (Xvfb).
bundle: install-dev
	$(PIP) install -q "pyinstaller>=6.10" "pyinstaller-hooks-contrib>=2024.8"
	$(PY) -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller \
		installers/assistant.spec
	cp installers/linux/install-desktop-entry.sh dist/assistant/
	installers/smoke_test.sh dist/assistant/assistant

clean:
	rm -rf $(VENV) .pytest_cache
