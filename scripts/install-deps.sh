#!/usr/bin/env bash
# Installs every build, test and runtime dependency from Debian packages. Idempotent.
set -euo pipefail
PACKAGES=(
  build-essential cmake pkg-config git
  libpq-dev libsqlite3-dev sqlite3 libpg-query-dev libyaml-cpp-dev nlohmann-json3-dev libsimdjson-dev
  libcli11-dev libfmt-dev libssl-dev libgtest-dev libbenchmark-dev
  # the API half: Asio/Beast (header-only), jq programs for `convert`, Prometheus exposition
  libboost1.81-dev libjq-dev prometheus-cpp-dev
  # sticky canary assignment: a stable hash of the client id (the same in every gateway)
  libxxhash-dev
  # tandem compat reads .proto files with libprotoc's parser (and libprotobuf's descriptors)
  libprotoc-dev
  postgresql-15 postgresql-client-15
  # tests of the generated shell completions and man page: the real shells and groff
  bash zsh fish groff-base
  # the dashboard's tests in a real browser (driven by puppeteer-core from the npm registry)
  chromium-headless-shell
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm installs the peer tools the tests and benchmarks run (dbmate for the import test): any npm
# will do — Debian's package, or the one NodeSource's nodejs brings.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
