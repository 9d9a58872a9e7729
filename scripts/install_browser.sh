#!/usr/bin/env bash
# Debian's Chromium for the browser tests (playwright's own browser download cannot work offline).
set -euo pipefail
command -v chromium >/dev/null && exit 0
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "not root or no apt-get"; exit 1; }
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
