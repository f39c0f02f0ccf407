# Everything runs in .venv, created from requirements.txt on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: help setup data demo hub lint test test-fast test-slow test-browser test-hub readme-screenshots release check-release diagrams bench clean

setup: $(VENV)/.installed  ## create .venv from requirements.txt (the targets that run Python do it first)

$(VENV)/.installed: requirements.txt autograder/course/nbformat_speedup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m autograder.course.nbformat_speedup
	touch $@

data: setup          ## MNIST into data/mnist/, verified: copied from ../shared/data/mnist (or MNIST_DIR), else downloaded
	$(PY) -c "from autograder.course.environment import fetch_data; fetch_data()"

demo: setup          ## the main job: release, grade the solution and a blank notebook, print grades
	$(PY) -m autograder demo

hub: setup           ## the course hub on http://127.0.0.1:8000 (root; the example roster; Ctrl-C stops it): docs/hub.md
	$(PY) -m autograder hub

lint: setup          ## ruff and mypy, configured in pyproject.toml: zero findings
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint           ## the linter, then every test but the slow, browser and hub tiers, real nbgrader runs included
	$(PY) -m pytest tests -m "not browser and not hub and not slow"

test-fast: lint      ## the linter, then everything that needs no kernel: checks, corpus in-process, intake, report (about a minute)
	$(PY) -m pytest tests -m "not kernel and not browser and not hub and not slow"

test-slow: setup     ## slow end-to-end runs (root): the attack corpus, grader faults mid-run, a saturated machine keeps every point, a starved kernel is a grader error, grade/publish sequences keep every score
	$(PY) -m pytest tests -m slow

test-browser: setup  ## students and instructors in a real Chromium (Debian's chromium package); screenshots in build/screenshots/
	$(PY) -m pytest tests/browser -m browser

test-hub: setup      ## the course hub for real (root): accounts, exchange permissions, a term's loop in Chromium
	$(PY) -m pytest tests/hub -m hub

HUB_SHOTS := 2-instructor-released 3-t41-alice-fetched 4-t41-bob-validate 5-t41-alice-submitted \
	6-instructor-written-answer-scored 7-instructor-feedback-released 8-t41-bob-feedback \
	preliminary-2-named-mistake preliminary-3-over-the-limit preliminary-4-instructor-page \
	preliminary-5-nbgrader-menu

readme-screenshots: test-browser test-hub  ## refresh the screenshots the README and docs/ show
	cp build/screenshots/student-3-validate-success.png build/screenshots/report.png \
	   build/screenshots/instructor-2-formgrader-manual-score.png docs/screenshots/
	mkdir -p docs/screenshots/hub
	for shot in $(HUB_SHOTS); do cp build/screenshots/hub-$$shot.png docs/screenshots/hub/; done

release: setup       ## regenerate release/ from source/ (commit the result)
	$(PY) -m autograder release

check-release: setup ## fail if release/ differs from what `make release` writes
	$(PY) -m autograder check-release

diagrams: setup      ## redraw docs/diagrams/*.svg from their .dot sources (needs Graphviz; commit both)
	$(PY) docs/diagrams/render.py

bench: setup         ## speed benchmarks (see benchmarks/README.md); grading speed needs root
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_budgets.py
	$(PY) benchmarks/bench_grading_speed.py

clean:               ## remove build/ (the demo, screenshots) and pytest's cache
	rm -rf build .pytest_cache

help:                ## this list
	@awk -F':.*## ' '/^[a-z-]+:.*## / {printf "  make %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
