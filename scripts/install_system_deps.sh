#!/usr/bin/env bash
# System packages torchseq's optional features use: Graphviz's `dot` (utils.plot_model).
# Idempotent: does nothing when `dot` is already on PATH. Installs with apt-get only when it
# exists and we are root; otherwise says what to install and exits 0 (plotting is optional).
set -euo pipefail

if command -v dot >/dev/null 2>&1; then
    exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    apt-get install -y --no-install-recommends graphviz \
        || { apt-get update && apt-get install -y --no-install-recommends graphviz; }
    exit 0
fi

echo "Graphviz's \`dot\` was not found; utils.plot_model needs it. Install Graphviz:" \
     "\`apt-get install graphviz\` (Debian/Ubuntu), \`brew install graphviz\` (macOS)," \
     "or see https://graphviz.gitlab.io/download/" >&2
exit 0
