#!/usr/bin/env bash
# Install the system packages reportgen needs, only those that are missing (Debian/Ubuntu).
# `sysdeps.sh` : what a report needs (WeasyPrint needs Pango and HarfBuzz).
# `sysdeps.sh test` : also what the tests need (poppler-utils to read PDFs, Chromium to open the archive).
# `sysdeps.sh spark` : the Java runtime the Spark engine needs (Spark 4 runs on Java 17; `make test` uses it).
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fontconfig)
if [ "${1:-}" = "test" ]; then
  packages+=(poppler-utils chromium)
elif [ "${1:-}" = "spark" ]; then
  packages=(openjdk-17-jre-headless)
fi
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in "${packages[@]}"; do
  have "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: missing system packages ${need[*]} and no apt-get to install them" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
