#!/usr/bin/env bash
# Runs bench/plot_long_context.py in a venv with matplotlib
# (${ATTNC_MODEL_CACHE:-~/.cache/attnc}/plot-venv, made on first use with pip).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${ATTNC_MODEL_CACHE:-$HOME/.cache/attnc}/plot-venv
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q matplotlib
fi
"$VENV/bin/python" "$ROOT/bench/plot_long_context.py"
