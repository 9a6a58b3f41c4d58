#!/usr/bin/env bash
# Set up (or update) the virtual environment with the lab extras and open JupyterLab on notebooks/.
# Extra arguments go to JupyterLab, e.g. `bash scripts/lab.sh --no-browser --port 8890`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[lab]"
exec .venv/bin/python -m jupyter lab --notebook-dir=notebooks "$@"
