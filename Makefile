# Two commands do all the set-up on a fresh machine:  `make book`  and  `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := book
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DATA    := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# --all: re-read every page so each warning shows on every build (notebooks still run only when changed)
JB_FLAGS := -W --keep-going -n --all
# Readers of the built book see a one-line summary per trained model, not a progress bar.
export UNSUP_PROGRESS ?= 0
export MPLBACKEND := Agg

.PHONY: book test lint pytest build vendor data setup clean serve bench student

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[book,test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

setup: $(STAMP) vendor data

# Debian packages, installed only when missing and only where apt-get runs as root:
#   dataset-fashion-mnist (else unsup downloads Fashion-MNIST on first use, verified by SHA-256)
#   chromium (for the browser tests; without it they are skipped with a reason)
data:
	@need=""; \
	[ -f "$(DATA)" ] || [ -n "$$UNSUP_DATA" ] || need="$$need dataset-fashion-mnist"; \
	[ -z "$(WANT_CHROMIUM)" ] || command -v chromium > /dev/null || need="$$need chromium"; \
	if [ -z "$$need" ]; then :; \
	elif command -v apt-get > /dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian packages:$$need"; \
	  (apt-get install -y -qq $$need > /dev/null 2>&1 || \
	   (apt-get update -qq > /dev/null && apt-get install -y -qq $$need > /dev/null)) || \
	  echo "could not install$$need: Fashion-MNIST will be downloaded on first use; browser tests skip"; \
	else echo "not installed (needs root and apt-get):$$need"; fi

# MathJax, require.js and the ipywidgets HTML manager, served from the built site so it works offline;
# axe-core (outside vendor/static: not shipped with the site) for the accessibility test, tests/test_a11y.py.
vendor: vendor/.done vendor/axe/axe.min.js
vendor/.done:
	rm -rf vendor node_modules/.vendor-tmp && mkdir -p vendor/static vendor/extra node_modules/.vendor-tmp
	cd node_modules/.vendor-tmp && npm install --no-audit --no-fund --silent --prefix . \
	  mathjax@3.2.2 requirejs@2.3.7 @jupyter-widgets/html-manager@1.0.7 > /dev/null
	m=node_modules/.vendor-tmp/node_modules; \
	mkdir -p vendor/static/mathjax && cp -r $$m/mathjax/es5/{tex-chtml.js,input,output,ui,a11y,adaptors} vendor/static/mathjax/ && \
	cp $$m/requirejs/require.js vendor/static/require.js && \
	cp $$m/@jupyter-widgets/html-manager/dist/embed-amd.js vendor/static/embed-amd.js && \
	f=vendor/extra/book/@jupyter-widgets/html-manager/dist; mkdir -p $$f && \
	cp $$m/@jupyter-widgets/html-manager/dist/*.{woff,woff2,ttf,eot,svg} $$f/ && \
	touch $@

vendor/axe/axe.min.js: vendor/.done
	rm -rf node_modules/.axe-tmp && mkdir -p vendor/axe node_modules/.axe-tmp
	cd node_modules/.axe-tmp && npm install --no-audit --no-fund --silent --prefix . axe-core@4.10.3 > /dev/null
	cp node_modules/.axe-tmp/node_modules/axe-core/axe.min.js $@

# the chapters are executed first, two at a time (tools/execute_chapters.py); the build then finds them cached
build: setup
	mkdir -p _build; $(BIN)/python tools/execute_chapters.py
	$(BIN)/jupyter-book build $(JB_FLAGS) . 2>&1 | tee _build/.build.log | grep -vE '^\s*$$'; test $${PIPESTATUS[0]} = 0
	@$(BIN)/python tools/exec_times.py
	@echo "The book: $(CURDIR)/_build/html/index.html"

book: build

# The student edition: each solution replaced by a stub, outputs cleared, the set-up cell pinned to this commit;
# _build/student/notebooks/*.ipynb and a strict build of them in _build/student/html (see tools/student.py).
student: setup
	$(BIN)/python tools/student.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python tools/setup_cell.py
	$(BIN)/python tools/notebook_lint.py

# the fast tests, plus slow ones marked `ci` (they guard the build); `gpu` tests run wherever CUDA is present
pytest: setup
	@gpu=$$($(BIN)/python -c "import torch; print(torch.cuda.is_available())"); \
	sel="(not slow or ci) and not browser"; [ "$$gpu" = True ] || sel="$$sel and not gpu"; \
	echo "pytest -m \"$$sel\""; $(BIN)/python -m pytest -q -m "$$sel" tests

# lint, fast tests, the strict build, the student edition (every student notebook runs with its stubs), then
# the browser tests that need the built pages
test: WANT_CHROMIUM := 1
test: lint pytest build student
	$(BIN)/python -m pytest -q -m "browser" tests

# interleaved shared-vs-bare timing; e.g. make bench BENCH_ARGS="--rounds 7 --n-train 10000"
bench: setup
	$(BIN)/python benchmarks/train_throughput.py $(BENCH_ARGS)

serve:
	@echo "serving _build/html at http://127.0.0.1:8000"; cd _build/html && python3 -m http.server 8000 --bind 127.0.0.1

clean:
	rm -rf _build vendor node_modules/.vendor-tmp
	rm -rf "$${UNSUP_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/unsup/checkpoints}"
