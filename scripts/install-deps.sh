#!/bin/sh
# Installs what YTMaker needs at run time (and, with --test, for the tests)
# when it is missing: redis-server, ffmpeg, offline voices and fonts.
# Debian/Ubuntu use apt-get (as root, or through sudo); macOS uses Homebrew.
# Anywhere else it prints what to install and fails.
set -eu

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

missing_cmds=""
need() { command -v "$1" >/dev/null 2>&1 || missing_cmds="$missing_cmds $1"; }
need redis-server
need ffmpeg
need ffprobe
need espeak-ng
need text2wave
[ "$want_test" = 1 ] && need chromium
[ "$want_test" = 1 ] && need redis-sentinel

fonts_missing=0
if command -v fc-list >/dev/null 2>&1; then
	fc-list | grep -qi "Noto Sans CJK" || fonts_missing=1
	fc-list | grep -qi "DejaVu Sans" || fonts_missing=1
elif [ ! -d /usr/share/fonts/opentype/noto ] && [ ! -d /System/Library/Fonts ]; then
	fonts_missing=1
fi
voice_missing=0
if [ "$(uname -s)" = Linux ] && [ ! -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ]; then
	voice_missing=1
fi

if [ -z "$missing_cmds" ] && [ "$fonts_missing" = 0 ] && [ "$voice_missing" = 0 ]; then
	exit 0
fi

echo "YTMaker needs:${missing_cmds}$( [ $fonts_missing = 1 ] && echo ' fonts' )$( [ $voice_missing = 1 ] && echo ' festival-voice' )"

if command -v apt-get >/dev/null 2>&1; then
	pkgs="redis-server ffmpeg espeak-ng festival festvox-us-slt-hts fonts-noto-cjk fonts-dejavu-core fontconfig"
	[ "$want_test" = 1 ] && pkgs="$pkgs chromium python3 redis-sentinel"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO="sudo"
		else
			echo "Run as root, or install them yourself: apt-get install -y $pkgs" >&2
			exit 1
		fi
	fi
	echo "Installing with apt-get: $pkgs"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs
	exit 0
fi

if command -v brew >/dev/null 2>&1; then
	echo "Installing with Homebrew: redis ffmpeg espeak-ng"
	brew install redis ffmpeg espeak-ng
	brew install --cask font-noto-sans-cjk font-dejavu 2>/dev/null || true
	echo "Note: English narration falls back to espeak-ng where festival is not available."
	exit 0
fi

cat >&2 <<MSG
Please install these with your package manager, then run this again:
  redis-server, ffmpeg (with ffprobe, libx264, libass), espeak-ng, festival with
  the cmu_us_slt_arctic_hts voice, Noto Sans CJK and DejaVu Sans fonts.
Redis may also run in Docker:  docker run -d -p 6379:6379 redis:7-alpine
MSG
exit 1
