# Two commands do all set-up on a fresh machine:  make lab   and   make test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
LAB_ARGS ?=
# Jupyter refuses to run as root unless told to (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup lab test unit notebooks student bench data clean-venv

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

# Unit tests, then every notebook under nbval in smoke mode.
test: setup
	GAN_SMOKE=1 $(PY) -m pytest -n 2 --dist loadscope $(PYTEST_ARGS)

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

clean-venv:
	rm -rf $(VENV)
