# Two commands do all the set-up on a fresh machine:
#   make run    create .venv, install, fetch the default model, start the assistant
#   make test   install what the tests need too, then run the suite
# Override on the command line, e.g. `make run TORCH_SPEC=torch LLAMA_CMAKE_ARGS=-DGGML_CUDA=on`.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# A CPU build of torch; an unpinned torch pulls a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
LLAMA_CPP_VERSION ?= 0.3.36

# llama.cpp is compiled by pip. Pick the GPU backend the machine has; on x86-64 CPUs build
# for AVX2 rather than -march=native, whose AMX/AVX-512 code can crash in VMs and on other
# machines sharing the wheel.
UNAME_S := $(shell uname -s)
UNAME_M := $(shell uname -m)
ifeq ($(UNAME_S),Darwin)
  LLAMA_CMAKE_ARGS ?= -DGGML_METAL=on
else ifneq ($(shell command -v nvcc 2>/dev/null),)
  LLAMA_CMAKE_ARGS ?= -DGGML_CUDA=on
else ifeq ($(UNAME_M),x86_64)
  LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
else
  LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
endif
# Built wheels are kept per (version, build flags), outside the checkout, so a fresh clone
# does not compile llama.cpp again, and a wheel built with other flags is never reused.
LLAMA_KEY := $(shell $(PYTHON) -c "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:12])" "$(LLAMA_CPP_VERSION) $(LLAMA_CMAKE_ARGS) $(UNAME_S) $(UNAME_M)")
WHEELHOUSE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/assistant/wheels/$(LLAMA_KEY)

.PHONY: run test install install-dev model demo bench eval lint clean help

help:
	@echo "make run    set up everything and start the assistant"
	@echo "make test   set up everything and run the test suite"
	@echo "make model  fetch the default model into models/"
	@echo "make bench  print benchmark figures (JSON)"
	@echo "make eval   evaluate on ../shared/eval/squad2-dev.json (JSON)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

$(VENV)/.llama-$(LLAMA_KEY): | $(PY)
	@if ! ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "Compiling llama.cpp ($(LLAMA_CMAKE_ARGS)); this takes several minutes once."; \
		mkdir -p $(WHEELHOUSE) && \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel --no-deps --no-cache-dir \
			"llama-cpp-python==$(LLAMA_CPP_VERSION)" -w $(WHEELHOUSE) || exit 1; \
	fi
	$(PIP) install --no-deps --force-reinstall $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install "llama-cpp-python==$(LLAMA_CPP_VERSION)" --find-links $(WHEELHOUSE)
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.llama-$(LLAMA_KEY)
	$(PIP) install "$(TORCH_SPEC)"
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

model: install
	$(PY) scripts/fetch_model.py

run: install model
	$(VENV)/bin/assistant demo

demo: run

test: install-dev model
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: install-dev model
	$(PY) scripts/bench.py

eval: install model
	$(PY) scripts/eval.py ../shared/eval/squad2-dev.json

lint: install-dev
	$(VENV)/bin/ruff check assistant tests scripts

clean:
	rm -rf $(VENV) .pytest_cache
