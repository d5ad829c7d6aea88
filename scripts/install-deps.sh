#!/usr/bin/env bash
# Install the Debian packages afscore needs to build, test, fuzz and benchmark.
# chromium renders the decision reports in the tests and for `make screenshots`
# (fonts-dejavu-core gives it Latin and Cyrillic glyphs); openssl: the signature
# tests check interoperability with its command line.
# Installs only what is missing; needs root (or sudo) when something is.
set -euo pipefail
pkgs=(build-essential pkg-config liblua5.4-dev libsqlite3-dev libssl-dev libcmocka-dev sqlite3 python3
      clang libclang-rt-dev chromium fonts-dejavu-core openssl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
