# Two commands do all set-up on a fresh machine:  make lab   and   make test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
LAB_ARGS ?=
# Jupyter refuses to run as root unless told to (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: gpu-check setup lab test unit notebooks student student-dist bench data figures clean-venv browser browser-deps chromium course course-test

$(PY):
	$(PYTHON) -m venv $(VENV)

# uv installs the torch stack in seconds where pip takes minutes; it is bootstrapped
# into the venv with pip when the machine has none.
$(STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip --version >/dev/null
	$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install -q uv
	$(PY) -m uv pip install --python $(PY) -r requirements.txt -e .
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# Unit tests, then every notebook under nbval in smoke mode (issue 26: at most 5 minutes on 2
# cores from a fresh clone, install included). The slow end-to-end proofs (learner versions,
# nbgrader, the browser) are in course-test and browser, which .ci/run runs after this.
# OMP_NUM_THREADS=1: each worker's notebook kernel uses one torch thread; two workers with two threads
# each oversubscribed the two cores (a smoke cell of notebook 04 took 88 s instead of a few); the
# slowest tests are printed so the budget can be watched in CI.
test: setup
	GAN_SMOKE=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadscope --durations=15 $(PYTEST_ARGS)

unit: setup
	$(PY) -m pytest tests $(PYTEST_ARGS)

notebooks: setup
	GAN_SMOKE=1 $(PY) -m pytest notebooks $(PYTEST_ARGS)

# Learner versions of the notebooks (solutions replaced, outputs cleared) in student/.
student: setup
	$(PY) -m gan_helpers student --out student

bench: setup
	$(PY) -m gan_helpers bench

# Seed the data cache from a mirror folder: make data MIRROR=../shared/data
data: setup
	$(PY) -m gan_helpers data $(if $(MIRROR),--mirror $(MIRROR),)

# The README's pictures (docs/img/*.png), drawn from the shipped weights; needs the horse2zebra
# test photos (make data fetches MNIST; `$(PY) -m gan_helpers data --horse2zebra` the photos).
figures: setup
	$(PY) -m gan_helpers figures

# The GPU check (issue 39; tools/gpu_check.py): the Jupyter-free tests on CUDA, one step of every
# recipe on CUDA, every shipped model on CUDA against the CPU. Needs only a Python with torch and
# the packages of requirements.txt's core (no venv, no Jupyter, no internet); fails without CUDA.
GPU_PYTHON ?= $(if $(wildcard $(PY)),$(PY),python3)
gpu-check:
	PYTHONPATH=. $(GPU_PYTHON) tools/gpu_check.py

clean-venv:
	rm -rf $(VENV)

# ---- issue 12: the notebooks in a real browser, and a real nbgrader course -------------
CHROMIUM ?= /usr/bin/chromium
BROWSER_STAMP := $(VENV)/.browser-installed

$(BROWSER_STAMP): requirements-browser.txt | $(STAMP)
	$(PY) -m uv pip install --python $(PY) -r requirements-browser.txt
	touch $(BROWSER_STAMP)

# Debian's chromium, installed with apt-get when missing and possible (root, apt-get present).
chromium:
	@if [ -x "$(CHROMIUM)" ]; then echo "browser: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "no browser at $(CHROMIUM) and no way to install one here (needs root and apt-get):"; \
	  echo "install Debian's chromium, or run: make browser CHROMIUM=/path/to/chromium"; exit 1; fi

browser-deps: setup $(BROWSER_STAMP) chromium

# Every notebook run in JupyterLab + headless Chromium (smoke mode) at 1366x768: widgets drawn,
# pictures unstretched, panels within the viewport, slider to picture <= 300 ms (latency table
# printed); screenshots in browser/screenshots/ (not in git).
browser: browser-deps
	GAN_CHROMIUM=$(CHROMIUM) $(PY) -m pytest browser -p no:xdist $(PYTEST_ARGS)

# A real nbgrader course folder in course/ (source, release, gradebook.db); see docs/instructor.md.
course: setup
	$(PY) -m instructor.build_course --out course

# What a class receives (docs/instructor.md 1b): released notebooks (no solutions) and the helper
# wheel carrying the shipped weights, in dist/student/.
student-dist: setup
	$(PY) -m instructor.student_dist --out dist/student

# A class played through nbgrader: solutions, stubs and a wrong answer autograded (smoke mode);
# the autograded stubs are also the learner-version runs (instructor/learner_run.py).
course-test: setup
	GAN_SMOKE=1 $(PY) -m pytest instructor -p no:xdist $(PYTEST_ARGS)
