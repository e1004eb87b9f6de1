#!/usr/bin/env bash
# The Dockerfile cannot be built in CI (no Docker), so this checks what can be checked without
# it: every package it installs exists in Debian (apt-cache), its build stage installs the
# build dependencies scripts/install-deps.sh installs, and its runtime stage provides every
# shared library the built binary loads (ldd → dpkg -S → the package, or one it pulls in).
#   dockerfile_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"
SOURCE="$2"
DOCKERFILE="$SOURCE/Dockerfile"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The packages of the `apt-get install` in the stage starting at FROM line $1 (1-based count).
stage_packages() {
  awk -v want="$1" '
    /^FROM / { stage++ }
    stage == want && /apt-get install/ { grab = 1; sub(/.*--no-install-recommends/, "") }
    stage == want && grab {
      line = $0; sub(/&&.*/, "", line); gsub(/\\/, "", line); printf "%s ", line
      if ($0 ~ /&&/ && $0 !~ /apt-get install/) grab = 0
    }' "$DOCKERFILE" | tr -s ' ' '\n' | sed '/^$/d' | sort -u
}
BUILD_PKGS="$(stage_packages 1)"
RUNTIME_PKGS="$(stage_packages 2)"
[ -n "$BUILD_PKGS" ] || fail "no packages found in the build stage"
[ -n "$RUNTIME_PKGS" ] || fail "no packages found in the runtime stage"
grep -q '^FROM debian:bookworm AS build' "$DOCKERFILE" || fail "the build stage is not bookworm"
grep -q '^FROM debian:bookworm-slim$' "$DOCKERFILE" || fail "the runtime stage is not bookworm-slim"
grep -q '^ENTRYPOINT \["tandem"\]' "$DOCKERFILE" || fail "ENTRYPOINT is not tandem"

# 1. Every name is a Debian package.
if command -v apt-cache >/dev/null && compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  for p in $BUILD_PKGS $RUNTIME_PKGS; do
    apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || fail "no Debian package named $p"
  done
else
  echo "note: no apt lists (run apt-get update): package names not checked" >&2
fi

# 2. The build stage installs every build dependency of scripts/install-deps.sh.
for p in build-essential cmake pkg-config libpq-dev libsqlite3-dev libpg-query-dev \
  libyaml-cpp-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev libfmt-dev libssl-dev libprotoc-dev; do
  grep -qx "$p" <<<"$BUILD_PKGS" || fail "the build stage does not install $p"
  grep -qw -- "$p" "$SOURCE/scripts/install-deps.sh" || fail "install-deps.sh does not install $p"
done

# 3. The runtime stage: each library the binary loads comes from a package it installs or
#    one of their dependencies (libc6, libstdc++6… come with them).
[ -x "$BUILD/tandem" ] || fail "no tandem binary in $BUILD"
if command -v dpkg >/dev/null && command -v ldd >/dev/null; then
  libs="$(ldd "$BUILD/tandem" | awk '/=> \// { print $3 }')"
  [ -n "$libs" ] || fail "ldd found no shared library in $BUILD/tandem"
  closure="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances $RUNTIME_PKGS 2>/dev/null |
    grep -v '^ ' | sed 's/:.*//' | sort -u)"
  while read -r lib; do
    real="$(readlink -f "$lib")"
    pkg="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)"
    pkg="${pkg%%:*}"
    [ -n "$pkg" ] || fail "$lib (loaded by tandem) belongs to no Debian package"
    grep -qx "$pkg" <<<"$closure" ||
      fail "tandem loads $lib from $pkg, which the runtime stage does not install"
  done <<<"$libs"
fi
echo "Dockerfile: ok (build: $(wc -w <<<"$BUILD_PKGS") packages, runtime: $(wc -w <<<"$RUNTIME_PKGS"))"
