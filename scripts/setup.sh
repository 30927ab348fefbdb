#!/usr/bin/env bash
# Sets up everything quickassist needs on Debian/Ubuntu with Python 3.11+:
# system packages (Xvfb, xdotool, Chromium, Qt's libraries) and a virtualenv in .venv.
# Usage: scripts/setup.sh [service|all]   (default: all)
#   service  only what the service needs (a virtualenv; no system packages)
#   all      the service, the sharer app, its one-file build (PyInstaller) and the test tools
#            (system packages too)
# Safe to run again; it only installs what is missing.
set -euo pipefail
PROFILE="${1:-all}"
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Qt offscreen and on X (xcb): see docs/architecture.md, "Sharer on Linux"
  libgl1 libegl1 libxkbcommon0 libglib2.0-0 libfreetype6 libfontconfig1 libdbus-1-3
  fonts-dejavu-core libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0
  libx11-xcb1 libxcb-xkb1 libxcb-xfixes0 libxcb-sync1 libxcb-shm0 libxcb-util1 libxcb-render0
  # the tests' X server, its tools, a real X client to type into, and the browser
  xvfb xdotool x11-utils x11-xserver-utils xterm chromium
  # the scale-out tests' reverse proxy in front of three nodes (tests/fixtures/nginx.py)
  nginx
  # desktop-file-validate checks the sharer's desktop entry (tests/integration/test_install_extras.py)
  desktop-file-utils
)

missing=()
[ "$PROFILE" = "service" ] && APT_PACKAGES=()
for p in "${APT_PACKAGES[@]+"${APT_PACKAGES[@]}"}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "setup: quickassist needs Python 3.11 or newer as python3 (or set PYTHON=...)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ] && ! "$PY" -c 'import ensurepip' 2>/dev/null; then
  # Debian and Ubuntu ship venv's pip bootstrap separately.
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$PROFILE" = "service" ]; then
  .venv/bin/python -m pip install -q -e ".[service]"
else
  # scale: the Redis and PostgreSQL clients, for the scale-out tests (tests/integration/scale)
  .venv/bin/python -m pip install -q -e ".[service,sharer,dev,bundle,scale]"
  # The sign-in tests' OpenID provider (tests/idp: oidc-provider on Node.js 20.19+), as locked.
  if command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/idp --no-audit --no-fund --silent
  else
    echo "setup: npm not found; the sign-in tests need Node.js and npm (apt install nodejs npm)." >&2
  fi
fi
echo "setup: ready (.venv)"
