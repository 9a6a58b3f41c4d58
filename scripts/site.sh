#!/usr/bin/env bash
# Set up a virtual environment, execute every notebook and write the static site to site/.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[site]"
.venv/bin/glutedata validate
.venv/bin/glutedata build-site --notebooks notebooks --out site
echo "open site/index.html"
