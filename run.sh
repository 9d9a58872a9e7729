#!/usr/bin/env bash
# Set up (first time) and serve the app: ./run.sh [app.py options, e.g. --models offline --port 7860]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export HF_HUB_DISABLE_PROGRESS_BARS=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python app.py "$@"
