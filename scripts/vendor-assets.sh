#!/usr/bin/env bash
# Fetches the few front-end files the web pages use from the npm registry (never a CDN, never
# at build time), copies them into api/web/assets/vendor/ and writes api/web/assets/vendor/MANIFEST.tsv
# (file, package, version, sha256, licence). Run by hand when a version changes; the files are
# committed, embedded in the binary, and a test checks every file against the manifest.
# The browser tests' own file (axe-core, injected into each page to check accessibility) goes
# to tests/fixtures/vendor/ with its own manifest: it is never served by the API.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/api/web/assets/vendor"
HTMX=2.0.11
FONT=5.3.0
AXE=4.14.1
TEST_OUT="$ROOT/tests/fixtures/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$HTMX" "@fontsource/noto-sans@$FONT" "axe-core@$AXE" >/dev/null
mkdir htmx font axe
tar -xzf "htmx.org-$HTMX.tgz" -C htmx
tar -xzf "fontsource-noto-sans-$FONT.tgz" -C font
tar -xzf "axe-core-$AXE.tgz" -C axe
rm -rf "$OUT" && mkdir -p "$OUT"
printf 'file\tpackage\tversion\tsha256\tlicence\n' >"$OUT/MANIFEST.tsv"
add() { # file in $OUT, package, version, licence
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(sha256sum "$OUT/$1" | cut -d' ' -f1)" "$4" >>"$OUT/MANIFEST.tsv"
}
cp htmx/package/dist/htmx.min.js "$OUT/htmx.min.js"
add htmx.min.js htmx.org "$HTMX" 0BSD
cp htmx/package/LICENSE "$OUT/htmx.LICENSE"
add htmx.LICENSE htmx.org "$HTMX" 0BSD
# Noto Sans: Latin (₸ is in latin-ext) and Cyrillic (Kazakh's ә ғ қ ң ө ү һ in cyrillic-ext,
# і and ұ in cyrillic), regular and bold.
for subset in latin latin-ext cyrillic cyrillic-ext; do
  for weight in 400 700; do
    f="noto-sans-$subset-$weight-normal.woff2"
    cp "font/package/files/$f" "$OUT/$f"
    add "$f" @fontsource/noto-sans "$FONT" OFL-1.1
  done
done
cp font/package/LICENSE "$OUT/noto-sans.LICENSE"
add noto-sans.LICENSE @fontsource/noto-sans "$FONT" OFL-1.1
rm -rf "$TEST_OUT" && mkdir -p "$TEST_OUT"
printf 'file\tpackage\tversion\tsha256\tlicence\n' >"$TEST_OUT/MANIFEST.tsv"
cp axe/package/axe.min.js "$TEST_OUT/axe.min.js"
cp axe/package/LICENSE "$TEST_OUT/axe.LICENSE"
for f in axe.min.js axe.LICENSE; do
  printf '%s\t%s\t%s\t%s\t%s\n' "$f" axe-core "$AXE" "$(sha256sum "$TEST_OUT/$f" | cut -d' ' -f1)" MPL-2.0 >>"$TEST_OUT/MANIFEST.tsv"
done
echo "vendored into $OUT:"
column -t -s $'\t' "$OUT/MANIFEST.tsv"
echo "vendored into $TEST_OUT:"
column -t -s $'\t' "$TEST_OUT/MANIFEST.tsv"
