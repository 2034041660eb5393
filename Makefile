# Two commands do all the set-up (see README.md):
#   make lab    install everything into .venv and open the course in JupyterLab
#   make test   install everything and run the whole test suite (what CI runs)
#   make site   build the course as a static website in _site/ (tests/test_site.py builds it too)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test install notebooks site bench lint serve clean check-aws

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# JupyterLab refuses to run as root unless told; containers and some WSL set-ups are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

# The course's own lab settings (lab-config/: no Jupyter news pop-up or update check, speaker notes folded) come
# first on JUPYTER_CONFIG_PATH; your ~/.jupyter still applies on top and nothing is written to it.
lab: install
	JUPYTER_CONFIG_PATH="$(CURDIR)/lab-config$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))" \
	  $(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_start_here.ipynb

test: install node_modules/.installed
	$(BIN)/ruff check lab_support tests bench tools
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadscope

notebooks: install
	$(BIN)/python tools/build_notebooks.py

site: install node_modules/.installed
	$(BIN)/python tools/build_site.py

bench: install
	$(BIN)/python bench/run_all.py

serve: install
	$(BIN)/python -m lab_support serve --port 4566

# Every notebook against a REAL AWS account (costs money): the credentials boto3 finds, no AWS_ENDPOINT_URL.
# Prints the account (masked), Region and cost notice, asks before creating anything unless YES=1; fails if a
# notebook fails or leaves anything tagged course=apigw-lambda-lab. NOTEBOOKS="02 03" runs some of them.
check-aws: install
	$(BIN)/python tools/run_aws_mode.py --real $(NOTEBOOKS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache _site
