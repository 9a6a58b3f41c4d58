#!/usr/bin/env bash
# Set up a virtual environment with the test extras, check the package's layers, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
.venv/bin/lint-imports --no-cache  # the layer contract in pyproject.toml (see ARCHITECTURE.md)
.venv/bin/python -m pytest "$@"
