#!/usr/bin/env bash
# Installs what the end-to-end tests need and a fresh machine lacks: Debian's Chromium, the
# reference Python stack, PostgreSQL 15 and ClickHouse (the database-source tests), wrk, and code-server 4.100.3 (VS Code 1.100) cached outside the repo.
# Idempotent: each step is skipped when its result is already there.
# `--code-server-only` (used by `npm run editor`) skips the browser and the Python reference stack.
set -euo pipefail
only_code_server=false
[ "${1:-}" = "--code-server-only" ] && only_code_server=true
CACHE="${PRODML_CACHE:-$HOME/.cache/prodml}"
CS_DIR="$CACHE/code-server"

need_apt=()
$only_code_server || command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
$only_code_server || /usr/bin/python3 -c 'import pandas, scipy, sklearn' >/dev/null 2>&1 || need_apt+=(python3-pandas python3-scipy python3-sklearn)
# ONNX fixtures are made by the real producers (test/reference/onnx_fixtures.py).
$only_code_server || /usr/bin/python3 -c 'import torch, xgboost, onnx' >/dev/null 2>&1 || need_apt+=(python3-torch python3-xgboost python3-onnx)
# Real database servers for the dataset-source tests (test/helpers/dbServers.ts).
$only_code_server || [ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
$only_code_server || [ -x /usr/sbin/clickhouse-server ] || need_apt+=(clickhouse-server)
# bench:serve's server-bound load; test/unit/wrkLoad.test.ts reads its real report.
$only_code_server || command -v wrk >/dev/null || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -f "$CS_DIR/.installed" ]; then
  echo "[setup] installing code-server@4.100.3 into $CS_DIR"
  # @vscode/ripgrep downloads rg from GitHub unless its cache already holds the archive.
  rgcache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rgcache"
  t=$(mktemp -d); cp "$(command -v rg)" "$t/rg"
  tar czf "$rgcache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$t" rg
  mkdir -p "$CS_DIR" && cd "$CS_DIR"
  [ -f package.json ] || npm init -y >/dev/null
  # npm 11 skips dependencies' install scripts unless allowed; code-server's postinstall sets up its VS Code.
  npm_config_yes=true npm_config_unsafe_perm=true npm install --unsafe-perm --no-audit --no-fund \
    --dangerously-allow-all-scripts code-server@4.100.3 >/dev/null
  touch "$CS_DIR/.installed"
fi
echo "[setup] code-server: $CS_DIR/node_modules/.bin/code-server"
