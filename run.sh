#!/usr/bin/env bash
# Set up (first time) and serve the app: ./run.sh [app.py options, e.g. --models offline --port 7860]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
# The offline pack (the stand-ins used without the Hub), built once here with a line per model, so no request
# builds or trains one (the sentiment head trains for about 20 s on two idle cores).
.venv/bin/python -m models.offline build
export HF_HUB_DISABLE_PROGRESS_BARS=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python app.py "$@"
