#!/bin/sh
# Renders the hand-written SVG state icons to the committed PNG sizes.
# Needs rsvg-convert (Debian: librsvg2-bin).  Run from anywhere.
set -eu
cd "$(dirname "$0")"
for svg in esess-*.svg; do
	base=${svg%.svg}
	for size in 16 22 24; do
		mkdir -p "$size"
		rsvg-convert -w "$size" -h "$size" "$svg" -o "$size/$base.png"
	done
done
