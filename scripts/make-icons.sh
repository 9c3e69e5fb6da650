#!/usr/bin/env bash
# Rasterises the OpenMoji pictures that internal/media/icons embeds.
# Needs npm (to fetch the openmoji package) and rsvg-convert
# (Debian: librsvg2-bin). The output is committed; this script is only
# for adding icons to internal/media/icons/table.go.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent openmoji@17.0.0 >/dev/null && tar xzf openmoji-17.0.0.tgz)
out=internal/media/icons/png
mkdir -p "$out"
for code in $(grep -o '{"[0-9A-F-]*"' internal/media/icons/table.go | tr -d '{"' | sort -u); do
	rsvg-convert -w 144 -h 144 "$work/package/color/svg/$code.svg" -o "$out/$code.png"
done
cp "$work/package/LICENSE.txt" third_party/openmoji/LICENSE
