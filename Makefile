# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-fast test-exhaustive lint bench bench-train bench-explorer browser scalesim-reference dramsim3-reference repin clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU build of torch, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The browser tests (tests/test_browser.py) drive Debian's chromium through chromium-driver: installed here with
# apt-get when missing and run as root; elsewhere one line says how, and those tests skip. Nothing downloads a
# browser of its own.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "could not install chromium and chromium-driver: the browser tests will skip"; \
	else echo "no chromium: apt-get install -y chromium chromium-driver (as root); the browser tests skip without it"; fi

demo: $(STAMP)
	$(VENV)/bin/accelsim run

# The whole suite, on two processes (pytest-xdist; every test works in its own tmp_path), less the exhaustive
# reference comparisons (every DRAM transfer of the shipped trace on every preset through the request-level
# model; the reference engine on the IP traces off the default preset), which make test-exhaustive adds.
test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q -n 2 -m "not exhaustive"

test-exhaustive: $(STAMP)
	$(VENV)/bin/pytest -q -n 2 -m exhaustive

# The inner loop: the suite without the tests marked slow (training runs, long reference-engine and DRAM-model
# comparisons), on two processes (pytest-xdist): about 85 s here with the machine quiet, 143 s on one.
test-fast: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q -n 2 -m "not slow and not exhaustive"

# Re-pin the model's figures after an intended change: prints the diff, logs REASON in docs/model.md.
repin: $(STAMP)
	$(PY) scripts/repin.py --reason "$(REASON)"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/bench_sim.py
	$(PY) benchmarks/bench_capture.py

# The explorer page at 100,000 points: filter-update time in headless chromium (runs the sweep once, ~10 min).
bench-explorer: $(STAMP) browser
	$(PY) benchmarks/bench_explorer.py

# Training-speed comparison with stable-baselines3, in its own venv (SB3 stays out of the test environment).
.venv-bench/.stamp: pyproject.toml
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet torch==2.13.0
	.venv-bench/bin/pip install --quiet -e ".[bench]"
	touch $@

bench-train: .venv-bench/.stamp
	.venv-bench/bin/python benchmarks/bench_train.py

# Reference numbers from real SCALE-Sim 3.0.0, in its own venv (it crashes with numpy >= 2.4).
.venv-scalesim/.stamp:
	$(PYTHON) -m venv .venv-scalesim
	.venv-scalesim/bin/pip install --quiet "numpy<2.4" scalesim==3.0.0
	touch $@

scalesim-reference: .venv-scalesim/.stamp
	.venv-scalesim/bin/python scripts/make_scalesim_reference.py

# Reference numbers from real DRAMSim3 (C++, MIT; commit 2981759). Its CMakeLists writes libdramsim3.so into
# the source folder, so the source is copied into the ignored build/ first and the shared folder stays
# read-only. Our trace front end (scripts/dramsim3_driver.cc) links that library. Nothing is installed.
DRAMSIM3_SRC ?= ../shared/reference/dramsim3
DRAMSIM3_BUILD := build/dramsim3

$(DRAMSIM3_BUILD)/dramsim3_driver: scripts/dramsim3_driver.cc
	rm -rf build/dramsim3-src && mkdir -p build && cp -r $(DRAMSIM3_SRC) build/dramsim3-src && chmod -R u+w build/dramsim3-src
	cmake -S build/dramsim3-src -B $(DRAMSIM3_BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(DRAMSIM3_BUILD) -j2
	$(CXX) -O2 -std=c++11 -I build/dramsim3-src/src $< -L build/dramsim3-src -ldramsim3 \
		-Wl,-rpath,$(CURDIR)/build/dramsim3-src -o $@

dramsim3-reference: $(DRAMSIM3_BUILD)/dramsim3_driver
	PYTHONPATH=$(CURDIR) $(PY) scripts/make_dramsim3_reference.py --driver $(DRAMSIM3_BUILD)/dramsim3_driver \
		--main $(DRAMSIM3_BUILD)/dramsim3main --configs $(DRAMSIM3_SRC)/configs

clean:
	rm -rf $(VENV) .venv-scalesim .venv-bench .pytest_cache .ruff_cache
