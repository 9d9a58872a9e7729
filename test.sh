#!/usr/bin/env bash
# Set up (first time: the app and the test tools) and run the whole test suite offline: ./test.sh [pytest options]
# `./test.sh -m "not system"` skips the system tests (load, browser, reliability, benchmark smoke): the quick loop.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev  # the app, the offline pack's sources and the test tools
scripts/install_browser.sh || echo "browser tests will be skipped: Chromium could not be installed"
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
