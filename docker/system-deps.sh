#!/usr/bin/env bash
# Debian packages SurgeDesk needs, installed when missing and when we may (root with apt).
#   docker/system-deps.sh        what serving needs: OpenBLAS (fast MLX maths on CPU), gettext
#   docker/system-deps.sh test   and what the suite needs: Chromium and CJK fonts
set -u

need=()
ls /usr/lib/*/openblas-pthread/libblas.so.3 >/dev/null 2>&1 || need+=(libopenblas0-pthread)
command -v msgfmt >/dev/null || need+=(gettext)  # compiles the translation catalogs
if [ "${1:-}" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "Please install these Debian packages: ${need[*]}" >&2
  # OpenBLAS only makes the local model faster; the suite cannot run without the rest.
  [ "${1:-}" = test ] && exit 1 || exit 0
fi
echo "Installing ${need[*]}..."
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q "${need[@]}" >/dev/null
}
