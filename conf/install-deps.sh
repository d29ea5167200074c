#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, if any are missing.
# As root it runs apt-get; otherwise it prints the command and fails.
set -euo pipefail

PACKAGES=(
  g++ make pkg-config curl python3 jq python3-mwclient
  nginx libnginx-mod-http-lua spawn-fcgi multiwatch
  libfcgi-dev libinih-dev doctest-dev
  libgumbo-dev libgit2-dev libmbedtls-dev nlohmann-json3-dev libcurl4-openssl-dev zlib1g-dev
  libbrotli-dev libzstd-dev
  wrk logrotate openssl
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing packages: ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# The nginx package starts a system-wide server on port 80; this project
# runs its own instance, so leave the system one as the admin had it:
# stopped if we just installed it.
if printf '%s\n' "${missing[@]}" | grep -qx nginx; then
  if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
    systemctl stop nginx || true
    systemctl disable nginx >/dev/null 2>&1 || true
  elif [ -f /run/nginx.pid ]; then
    kill "$(cat /run/nginx.pid)" 2>/dev/null || true
  fi
fi
