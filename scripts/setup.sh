#!/usr/bin/env bash
# Install what building and testing quiver needs, skipping whatever is already there.
# Debian 12 with PostgreSQL 15 and a Rust toolchain; works as root or as a sudo-capable user.
set -euo pipefail
pgrx_version=0.18.1
pg_major=15

sudo_cmd=()
[ "$(id -u)" = 0 ] || sudo_cmd=(sudo)

need=()
# fonts-dejavu-core: text in the benchmark's PNG plots.
for pkg in postgresql-$pg_major postgresql-server-dev-$pg_major libclang-dev clang sudo fonts-dejavu-core; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! cargo pgrx --version 2>/dev/null | grep -q " $pgrx_version\$"; then
    echo "setup: installing cargo-pgrx $pgrx_version (one time, about 5 minutes)"
    cargo install cargo-pgrx --version "$pgrx_version" --locked
fi
