#!/usr/bin/env bash
# Refresh the vendored DSFR (Système de design de l'État) from the npm registry, without Node at
# run time: `npm pack` fetches the package (it runs no install script), its sha512 is checked
# against the registry's, and only what the pages use is kept under web/static/dsfr: the CSS, the
# module JS, the fonts and icons the CSS names, the favicons, the licence and the terms of use.
# Usage: bash web/static/refresh-dsfr.sh [VERSION]   (default: the version in dsfr/VERSION)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/dsfr"
version="${1:-$(sed -n 's/^version //p' "$target/VERSION" 2>/dev/null || true)}"
version="${version:-1.15.3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

expected="$(npm view "@gouvfr/dsfr@$version" dist.integrity)"
(cd "$work" && npm pack --silent "@gouvfr/dsfr@$version" >/dev/null)
tarball="$(ls "$work"/gouvfr-dsfr-*.tgz)"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$expected" ]; then
  echo "intégrité différente de celle du registre : $actual au lieu de $expected" >&2
  exit 1
fi
tar xzf "$tarball" -C "$work"
dist="$work/package/dist"

rm -rf "$target"
mkdir -p "$target"
cp "$dist/dsfr.min.css" "$dist/dsfr.module.min.js" "$target/"
cp -r "$dist/favicon" "$target/"
# Every font and icon the CSS names, and nothing else.
grep -o 'url([a-z][^)]*)' "$dist/dsfr.min.css" | sed 's/^url(//; s/)$//' | sort -u |
  while read -r file; do
    mkdir -p "$target/$(dirname "$file")"
    cp "$dist/$file" "$target/$file"
  done
cp "$work/package/LICENSE.md" "$target/LICENSE.md"
cp "$work/package/doc/legal/cgu.md" "$target/cgu.md"
printf 'version %s\nsha512 %s\n' "$version" "$actual" > "$target/VERSION"
echo "DSFR $version vendu dans $target ($(du -sh "$target" | cut -f1))"
