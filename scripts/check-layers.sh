#!/usr/bin/env bash
# The dependency direction of the library (docs/architecture.md), checked on the includes:
#   db (and env) <- engine <- lint <- backfill <- expand <- commands <- fleet, serve <- cli
# (fleet runs the commands' use cases per target, and serve's dashboard shows what they report,
# so both sit on top of commands; serve also uses http and flags.)
# A file may include headers of its own layer and the layers below, never above. Prints every
# include that goes the wrong way and exits 1. (The link of each layer alone, the CMake option
# TANDEM_LAYER_CHECK, proves the same for calls.)
# The API half stands beside the chain and shares only db (and env): http may include
# env/db/http; gateway env/db/http/gateway; compat (and its registry) env/db/http/compat; and no
# layer of the chain includes http, gateway, compat or registry (the cli includes them).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A rank=([env]=0 [db]=0 [engine]=1 [lint]=2 [backfill]=3 [expand]=4 [commands]=5 [fleet]=6
                 [serve]=6 [cli]=7)
# Public headers belong to the layer that declares their types.
declare -A public=([status]=0 [db]=0 [env]=0 [version]=0 [duration]=0 [migration]=1 [engine]=1
                   [lint]=2 [backfill]=3 [expand]=4 [fleet]=6)
declare -A beside=([http]="env db http status duration" [gateway]="env db http gateway status duration"
                   [compat]="env db http compat registry status duration version"
                   [flags]="env db flags status duration")
bad=0
check() {  # check FILE RANK [PART]
  local file="$1" own="$2" part="${3:-}" inc target r
  while IFS= read -r inc; do
    target="${inc%%/*}"
    if [ "$target" = http ] || [ "$target" = gateway ] || [ "$target" = compat ] ||
       { [ "$target" = tandem ] && { [ "$(basename "$inc" .h)" = gateway ] ||
                                     [ "$(basename "$inc" .h)" = compat ] ||
                                     [ "$(basename "$inc" .h)" = registry ]; }; }; then
      # serve stands on the HTTP layer (never on the gateway or compat).
      if [ "$own" -lt 7 ] && ! { [ "$part" = serve ] && [ "$target" = http ]; }; then
        echo "$file includes \"$inc\": the chain's layers do not use the API half" >&2
        bad=1
      fi
      continue
    fi
    if [ "$target" = tandem ]; then
      r="${public[$(basename "$inc" .h)]:-}"
    else
      r="${rank[$target]:-}"
    fi
    [ -z "$r" ] && continue
    if [ "$r" -gt "$own" ]; then
      echo "$file includes \"$inc\" (layer $r) from layer $own" >&2
      bad=1
    fi
  done < <(grep -oE '^#include "[a-z_]+/[a-z_/]+\.h"' "$file" | sed -E 's/#include "(.*)"/\1/')
}
for dir in "${!rank[@]}"; do
  [ -d "src/$dir" ] || continue
  while IFS= read -r f; do check "$f" "${rank[$dir]}" "$dir"; done < <(find "src/$dir" -name '*.h' -o -name '*.cc')
done
check_beside() {  # check_beside FILE PART
  local file="$1" allowed=" ${beside[$2]} " inc target
  while IFS= read -r inc; do
    target="${inc%%/*}"
    [ "$target" = tandem ] && target="$(basename "$inc" .h)"
    case "$allowed" in
      *" $target "*) ;;
      *) echo "$file includes \"$inc\": $2 may use only ${beside[$2]}" >&2; bad=1 ;;
    esac
  done < <(grep -oE '^#include "[a-z_]+/[a-z_/]+\.h"' "$file" | sed -E 's/#include "(.*)"/\1/')
}
for part in "${!beside[@]}"; do
  [ -d "src/$part" ] || continue
  while IFS= read -r f; do check_beside "$f" "$part"; done < <(find "src/$part" -name '*.h' -o -name '*.cc')
done
check_beside include/tandem/gateway.h gateway
for h in include/tandem/*.h; do
  name=$(basename "$h" .h)
  [ "$name" = gateway ] && continue
  check "$h" "${public[$name]:-7}"
done
if [ "$bad" -ne 0 ]; then
  echo "layers: includes go the wrong way (see docs/architecture.md)" >&2
  exit 1
fi
echo "layers: every include goes down (db <- engine <- lint <- backfill <- expand <- commands <- fleet,"
echo "        serve <- cli;"
echo "        http <- gateway beside them, on db)"
