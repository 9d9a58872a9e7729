#!/bin/bash
# Transformers Playground app start, run as the notebook's user: on_start.sh starts it under nohup at every
# start; `bash ~/SageMaker/.playground/scripts/app_start.sh` starts the app again once it stopped. Fetches the app once onto the
# kept volume, gives it a Python of its own (the notebook's conda_python3 is 3.10; transformers 5 needs 3.11
# or newer), installs exactly requirements.txt (torch first: the CPU build on CPU instances, the CUDA build where
# nvidia-smi says there is a GPU), then serves the app on 127.0.0.1:7860 for Jupyter's proxy:
# https://NAME.notebook.REGION.sagemaker.aws/proxy/7860/
set -eu
STATE=${STATE:-$(cd "$(dirname "$0")/.." && pwd)}  # the app's folder on the kept volume: ~/SageMaker/.playground
# The launch's settings (on_start.sh writes them): PLAYGROUND_SOURCE, PLAYGROUND_REF, MEMORY_BUDGET_MB, AWS_BIN.
if [ -f "$STATE/launch.env" ]; then
  . "$STATE/launch.env"
fi
APP_DIR=${APP_DIR:-$(dirname "$STATE")/transformers-playground}
ENV_DIR=$STATE/env
PYTHON_VERSION=3.12  # as on the Hugging Face Space (README front matter)
CONDA=${CONDA:-$(command -v conda || echo "$HOME/anaconda3/bin/conda")}
export HF_HOME=$STATE/huggingface PLAYGROUND_CACHE_DIR=$STATE/cache GRADIO_ANALYTICS_ENABLED=False
if [ -z "${PLAYGROUND_MEMORY_BUDGET_MB:-}" ] && [ -n "${MEMORY_BUDGET_MB:-}" ]; then
  export PLAYGROUND_MEMORY_BUDGET_MB=$MEMORY_BUDGET_MB  # the instance type's figure, unless the operator set one
fi

if [ ! -f "$APP_DIR/app.py" ]; then
  case "${PLAYGROUND_SOURCE:?git URL or s3:// tarball of the app}" in
    s3://*) mkdir -p "$APP_DIR" && "${AWS_BIN:-aws}" s3 cp "$PLAYGROUND_SOURCE" - | tar -xz -C "$APP_DIR" ;;
    *) git clone --depth 1 ${PLAYGROUND_REF:+--branch "$PLAYGROUND_REF"} "$PLAYGROUND_SOURCE" "$APP_DIR" ;;
  esac
fi
cd "$APP_DIR"

python_ok() {  # the app's environment exists and its Python is new enough
  [ -x "$ENV_DIR/bin/python" ] && "$ENV_DIR/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'
}
if ! python_ok; then
  rm -rf "$ENV_DIR"
  "$CONDA" create --yes --quiet --prefix "$ENV_DIR" --override-channels --channel conda-forge \
    "python=$PYTHON_VERSION" pip
  python_ok || { echo "$ENV_DIR has no Python 3.11 or newer: the app cannot run there" >&2; exit 1; }
fi

WANT=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$ENV_DIR/.requirements" 2>/dev/null)" != "$WANT" ]; then
  TORCH=$(grep -E '^torch==' requirements.txt || true)
  if [ -n "$TORCH" ] && command -v nvidia-smi > /dev/null; then
    # A GPU instance (ml.g4dn, ml.g5, ...): PyPI's Linux torch is the CUDA build, and the app runs its models on
    # the GPU. Installed first: requirements.txt's CPU index would otherwise give it the CPU build.
    "$ENV_DIR/bin/python" -m pip install --quiet "$TORCH"
  elif [ -n "$TORCH" ]; then  # a CPU instance: the CPU build, not CUDA's gigabytes
    "$ENV_DIR/bin/python" -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu "$TORCH"
  fi
  # torch of the pinned version is in place, so the file's CPU index line leaves it as it is.
  "$ENV_DIR/bin/python" -m pip install --quiet -r requirements.txt
  echo "$WANT" > "$ENV_DIR/.requirements"
fi

echo "$(date -u +%FT%TZ) starting the app at /proxy/7860/;" \
  "memory budget for models: ${PLAYGROUND_MEMORY_BUDGET_MB:-the default} MB"
exec "$ENV_DIR/bin/python" app.py --host 127.0.0.1 --port 7860 --root-path /proxy/7860
