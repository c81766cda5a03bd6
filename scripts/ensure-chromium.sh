#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (Playwright's own browser download
# cannot work here). Install it, and a Japanese font for screenshots, when missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing ${need[*]}: install with 'sudo apt-get install ${need[*]}' (browser tests skip)." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
