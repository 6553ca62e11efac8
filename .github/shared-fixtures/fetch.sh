#!/usr/bin/env bash
# Rebuilds the reference data the tests read from ../shared (NetBird's infrastructure_files and OpenAPI, authentik's
# schemas and blueprints) from its upstream sources, as listed in files.txt beside this script, and checks every file
# against its SHA-256. A file already present with the right sum is left alone, so on a machine that has ../shared
# this only verifies it (and needs no network).
#
#   bash .github/shared-fixtures/fetch.sh ../shared
#   bash .github/shared-fixtures/fetch.sh DIR authentik/schema.yml authentik/blueprints/   # only paths starting so
#
# SHARED_FIXTURES_GITHUB_RAW changes where github: sources are read from (default https://raw.githubusercontent.com;
# a file:// URL works too): <base>/<owner>/<repo>/refs/tags/<tag>/<path>.
set -euo pipefail

dest="${1:?usage: fetch.sh DEST_DIR [PATH_PREFIX...]}"
shift
prefixes=("$@")
list="$(dirname "$0")/files.txt"
raw="${SHARED_FIXTURES_GITHUB_RAW:-https://raw.githubusercontent.com}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sum() { sha256sum "$1" | cut -d' ' -f1; }

# npm:<package>@<version>:<path> → the file from the package's tarball (npm pack, one download per package version).
from_npm() {
  local spec="$1" path="$2" out="$3" dir
  dir="$work/npm/$(printf '%s' "$spec" | tr '/@' '__')"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar -xzf ./*.tgz)
  fi
  cp "$dir/package/$path" "$out"
}

fetched=0 kept=0 failed=0
while read -r want path mode source; do
  case "$want" in '' | '#'*) continue ;; esac
  if [ "${#prefixes[@]}" -gt 0 ]; then
    wanted=""
    for prefix in "${prefixes[@]}"; do case "$path" in "$prefix"*) wanted=1 ;; esac; done
    [ -n "$wanted" ] || continue
  fi
  target="$dest/$path"
  if [ -f "$target" ] && [ "$(sum "$target")" = "$want" ]; then
    kept=$((kept + 1))
    continue
  fi
  tmp="$work/file"
  case "$source" in
    github:*)
      spec="${source#github:}"           # owner/repo@tag:path
      repo="${spec%%@*}" rest="${spec#*@}"
      tag="${rest%%:*}" file="${rest#*:}"
      curl -fsSL --retry 3 -o "$tmp" "$raw/$repo/refs/tags/$tag/$file"
      ;;
    npm:*)
      spec="${source#npm:}"              # @scope/name@version:path
      from_npm "${spec%:*}" "${spec##*:}" "$tmp"
      ;;
    *)
      echo "files.txt: unknown source '$source'" >&2
      exit 2
      ;;
  esac
  got="$(sum "$tmp")"
  if [ "$got" != "$want" ]; then
    echo "MISMATCH $path from $source: sha256 $got, expected $want" >&2
    failed=$((failed + 1))
    continue
  fi
  mkdir -p "$(dirname "$target")"
  install -m "$mode" "$tmp" "$target"
  fetched=$((fetched + 1))
done <"$list"

echo "$dest: $fetched fetched, $kept already there, $failed mismatched"
[ "$failed" -eq 0 ]
