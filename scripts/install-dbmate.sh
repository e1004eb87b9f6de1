#!/usr/bin/env bash
# Installs dbmate from the npm registry (its platform package ships dbmate's Go binary) into
# DIR/node_modules, once, and prints the binary's path on stdout. The engine benchmark compares
# against it; the import test migrates real databases with it. Fails — never skips — with what
# to do when it cannot install.
# Usage: scripts/install-dbmate.sh DIR        env: DBMATE_VERSION (default 2.36.0)
set -euo pipefail
dir="${1:?usage: scripts/install-dbmate.sh DIR}"
version="${DBMATE_VERSION:-2.36.0}"
case "$(uname -m)" in
  x86_64 | amd64) platform=linux-x64 ;;
  aarch64 | arm64) platform=linux-arm64 ;;
  *) echo "error: no dbmate npm package for $(uname -m)" >&2; exit 1 ;;
esac
bin="$dir/node_modules/@dbmate/$platform/bin/dbmate"
have() { [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null | awk '{print $3}')" = "$version" ]; }
if ! have; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is not installed, so dbmate $version cannot be installed" >&2
    echo "  hint: apt-get install npm (scripts/install-deps.sh does), then run this again" >&2
    exit 1
  fi
  mkdir -p "$dir"
  if ! (cd "$dir" && npm install --no-audit --no-fund "dbmate@$version") >"$dir/npm.log" 2>&1 || ! have; then
    echo "error: could not install dbmate $version from the npm registry (npm's output: $dir/npm.log)" >&2
    tail -5 "$dir/npm.log" >&2 || true
    echo "  hint: check the network or npm's proxy settings (npm config get registry), or run" >&2
    echo "        \`cd $dir && npm install dbmate@$version\` by hand, then run this again" >&2
    exit 1
  fi
fi
echo "$bin"
