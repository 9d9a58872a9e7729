#!/usr/bin/env bash
# Installs one requirements file into a Python environment: scripts/pip_install.sh PYTHON [--no-deps] FILE
#
# The file's own index lines (requirements.txt names the PyTorch CPU index, which a Hugging Face Space uses as it
# is) serve its pinned torch alone, and only where no torch wheel of that version lies on this machine's disk
# (pip's find-links, as on CI and the project's machines, where that index cannot be reached): pip then never
# waits on it. Every other package comes from pip's usual indexes. A torch of the pinned version that is already
# installed (the CPU or the CUDA build) is kept.
set -euo pipefail
python=$1
shift
no_deps=()
if [ "${1:-}" = --no-deps ]; then
  no_deps=(--no-deps)
  shift
fi
file=$1
pip=("$python" -m pip install --quiet)
index_lines='^[[:space:]]*--(extra-)?index-url[[:space:]=]'

# shellcheck disable=SC2207 # the index lines are words: --extra-index-url URL
indexes=($(grep -E "$index_lines" "$file" | sed -E 's/(index-url)=/\1 /' || true))
torch=$(grep -E '^torch==' "$file" || true)
if [ -n "$torch" ]; then
  installed=$("$python" -c 'import importlib.metadata as m; print(m.version("torch").split("+")[0])' 2>/dev/null ||
              true)
  if [ "$installed" != "${torch#torch==}" ]; then
    # A wheel on disk first (--no-index: no index is asked, so nothing can hang); its dependencies come with the
    # rest of the file below. Else the file's index, for torch alone.
    "${pip[@]}" --no-index --no-deps "$torch" 2>/dev/null ||
      "${pip[@]}" ${indexes[@]+"${indexes[@]}"} "$torch"
  fi
fi

rest=$(mktemp)
trap 'rm -f "$rest"' EXIT
grep -vE "$index_lines" "$file" > "$rest" || true
"${pip[@]}" ${no_deps[@]+"${no_deps[@]}"} -r "$rest"
