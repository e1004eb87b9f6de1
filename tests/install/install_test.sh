#!/usr/bin/env bash
# `cmake --install` into a temporary prefix: every file is where users and their tools look for
# it, and a program embedding tandem (examples/embed) builds against the installed package —
# with find_package(tandem) and with pkg-config — and runs.
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"
SOURCE="$2"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tandem-install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"

fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" || {
  cat "$WORK/install.log" >&2
  fail "cmake --install"
}

LIBDIR="$(cd "$PREFIX" && ls -d lib*/cmake/tandem | head -1)"
LIBDIR="${LIBDIR%/cmake/tandem}"
[ -n "$LIBDIR" ] || fail "no lib*/cmake/tandem under $PREFIX"
for f in bin/tandem \
  include/tandem/tandem.h include/tandem/engine.h include/tandem/status.h include/tandem/version.h \
  "$LIBDIR"/libtandem_db.a "$LIBDIR"/libtandem_engine.a "$LIBDIR"/libtandem_lint.a \
  "$LIBDIR"/libtandem_backfill.a "$LIBDIR"/libtandem_expand.a "$LIBDIR"/libtandem_commands.a \
  "$LIBDIR"/cmake/tandem/tandemConfig.cmake "$LIBDIR"/cmake/tandem/tandemConfigVersion.cmake \
  "$LIBDIR"/cmake/tandem/tandemTargets.cmake "$LIBDIR"/pkgconfig/tandem.pc \
  share/man/man1/tandem.1 \
  share/bash-completion/completions/tandem \
  share/zsh/site-functions/_tandem \
  share/fish/vendor_completions.d/tandem.fish; do
  [ -s "$PREFIX/$f" ] || fail "$f was not installed"
done
[ -x "$PREFIX/bin/tandem" ] || fail "bin/tandem is not executable"
# Every public header is installed.
for h in "$SOURCE"/include/tandem/*.h; do
  cmp -s "$h" "$PREFIX/include/tandem/$(basename "$h")" || fail "include/tandem/$(basename "$h")"
done

# The installed command runs, and the installed man page and completions are what it prints.
"$PREFIX/bin/tandem" --version | grep -q '^tandem ' || fail "bin/tandem --version"
cmp -s <("$PREFIX/bin/tandem" man) "$PREFIX/share/man/man1/tandem.1" || fail "tandem.1 is stale"
cmp -s <("$PREFIX/bin/tandem" completion bash) "$PREFIX/share/bash-completion/completions/tandem" ||
  fail "the bash completion is stale"
cmp -s <("$PREFIX/bin/tandem" completion zsh) "$PREFIX/share/zsh/site-functions/_tandem" ||
  fail "the zsh completion is stale"
cmp -s <("$PREFIX/bin/tandem" completion fish) "$PREFIX/share/fish/vendor_completions.d/tandem.fish" ||
  fail "the fish completion is stale"
# man finds the page under the prefix's share/man.
if command -v man >/dev/null; then
  MANPATH="$PREFIX/share/man" MANPAGER=cat MANWIDTH=100 man tandem 2>/dev/null | grep -q 'EXIT STATUS' ||
    fail "man tandem with MANPATH=$PREFIX/share/man"
fi

run_embed() {  # run_embed PROGRAM: migrates a fresh SQLite database with the example's files
  local out
  out="$("$1" "sqlite:$WORK/app-$(basename "$1").db" "$SOURCE/examples/embed/migrations")" ||
    fail "$1 exited $?: $out"
  grep -q 'applied 2 migrations; current version 2' <<<"$out" || fail "$1 printed: $out"
}

# find_package(tandem): the example project on its own, against the prefix only.
cmake -S "$SOURCE/examples/embed" -B "$WORK/embed" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$WORK/embed.log" 2>&1 || {
  cat "$WORK/embed.log" >&2
  fail "configuring examples/embed against the installed package"
}
grep -q "tandem_DIR:PATH=$PREFIX/" "$WORK/embed/CMakeCache.txt" || fail "tandem found outside $PREFIX"
cmake --build "$WORK/embed" >>"$WORK/embed.log" 2>&1 || {
  cat "$WORK/embed.log" >&2
  fail "building examples/embed against the installed package"
}
run_embed "$WORK/embed/tandem_embed_example"

# pkg-config, for builds without CMake.
if command -v pkg-config >/dev/null; then
  flags="$(PKG_CONFIG_PATH="$PREFIX/$LIBDIR/pkgconfig" pkg-config --cflags --libs tandem)" ||
    fail "pkg-config tandem"
  # shellcheck disable=SC2086
  ${CXX:-c++} -std=c++20 -O0 -o "$WORK/embed-pc" "$SOURCE/examples/embed/embed.cc" $flags ||
    fail "building examples/embed with pkg-config --cflags --libs tandem"
  run_embed "$WORK/embed-pc"
fi
echo "install: ok ($PREFIX)"
