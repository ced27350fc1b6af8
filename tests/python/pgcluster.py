"""Scratch PostgreSQL clusters for tests that need a whole server: crash (kill -9) and
recovery, streaming replicas, promotion. Clusters live on 127.0.0.1:<port> with data under
target/pgdata-<port>; when run as root, the server programs run as the `postgres` user."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

PG_BIN = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))
# The first of the five ports the cluster tests use (the Makefile gives each PostgreSQL major
# version its own range, so suites for different versions can run side by side).
PORT_BASE = int(os.environ.get("QUIVER_CLUSTER_PORTS", "55315"))
ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"


# --------------------------------------------------------------------------------------------
# helpers


def as_pg(args):
    """The command line that runs `args` as the postgres user (PostgreSQL refuses root)."""
    args = [str(a) for a in args]
    return [RUNUSER, "-u", "postgres", "--", *args] if IS_ROOT else args


def run(args, *, as_postgres=False, timeout=120, check=True):
    cmd = as_pg(args) if as_postgres else [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited with {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def pg_owned_dir(path: Path):
    """Create an empty directory (mode 700) owned by the user the server runs as."""
    path.mkdir(parents=True, exist_ok=True)
    if IS_ROOT:
        shutil.chown(path, "postgres", "postgres")
    path.chmod(0o700)


def port_in_use(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def vec_text(values):
    return "[" + ",".join(f"{x:.6f}" for x in values) + "]"


def random_vec(rng, dims):
    return vec_text(rng.uniform(-1, 1) for _ in range(dims))


def proc_ppid_state(pid):
    """(ppid, state) of a live process, None when it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[1]), fields[0]


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Cluster:
    """A scratch PostgreSQL cluster on 127.0.0.1:<port> with data in target/pgdata-<port>."""

    def __init__(self, port, bindir=None):
        self.port = port
        self.bin = Path(bindir) if bindir else PG_BIN
        self.datadir = ROOT / "target" / f"pgdata-{port}"
        self.logfile = ROOT / "target" / f"pgdata-{port}.log"
        pg_owned_dir(self.datadir)
        if IS_ROOT and run(["test", "-w", self.datadir], as_postgres=True, check=False).returncode:
            # checkout not reachable by the postgres user (e.g. under /root): keep data in /tmp
            self.datadir = Path(f"/tmp/quiver-pgdata-{port}")
            self.logfile = Path(f"/tmp/quiver-pgdata-{port}.log")

    # -- life cycle

    def start_as_standby_of(self, primary):
        """A fresh streaming standby of `primary` (which must accept replication connections),
        from a base backup, started with hot_standby on."""
        self.prepare_empty()
        run([self.bin / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres",
             "-D", self.datadir, "-R", "-X", "stream", "-c", "fast"], as_postgres=True, timeout=120)
        assert (self.datadir / "standby.signal").exists()
        self.configure("hot_standby = on\n")
        self.start()

    def start_primary(self):
        """Init and start a cluster that accepts replication connections (and keeps its WAL
        until asked: long checkpoint interval), with quiver created in `postgres`."""
        self.init("checkpoint_timeout = 30min\nmax_wal_size = 1GB\n")
        with open(self.datadir / "pg_hba.conf", "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")
        self.start()
        with self.connect() as conn:
            conn.execute("CREATE EXTENSION quiver")

    def prepare_empty(self):
        """Stop whatever a previous run left on this data directory and wipe it."""
        self.stop()
        if port_in_use(self.port):
            raise AssertionError(f"port {self.port} is in use by another program")
        shutil.rmtree(self.datadir, ignore_errors=True)
        pg_owned_dir(self.datadir)
        self.logfile.unlink(missing_ok=True)
        self.logfile.touch()
        if IS_ROOT:
            shutil.chown(self.logfile, "postgres", "postgres")

    def init(self, extra_conf=""):
        self.prepare_empty()
        run([self.bin / "initdb", "-D", self.datadir, "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8"], as_postgres=True)
        self.configure(
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "max_connections = 30\n"
            "shared_buffers = 32MB\n"
            "maintenance_work_mem = 128MB\n"
            "max_wal_senders = 4\n"
            "wal_level = replica\n" + extra_conf
        )

    def configure(self, text):
        # appending keeps the file's owner; later settings override earlier ones
        with open(self.datadir / "postgresql.conf", "a") as f:
            f.write(f"\nport = {self.port}\n{text}\n")

    def start(self):
        run([self.bin / "pg_ctl", "-D", self.datadir, "-l", self.logfile, "-w", "-t", "120", "start"],
            as_postgres=True, timeout=150)

    def stop(self):
        """Stop the server if one runs on this data directory (fast, then immediate, then kill)."""
        if not (self.datadir / "postmaster.pid").exists():
            return
        for mode in ("fast", "immediate"):
            proc = run([self.bin / "pg_ctl", "-D", self.datadir, "-m", mode, "-w", "-t", "30", "stop"],
                       as_postgres=True, timeout=60, check=False)
            if proc.returncode == 0 or "Is server running?" in proc.stderr:
                return
        self.kill_all()

    # -- processes

    def postmaster_pid(self):
        try:
            return int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def server_pids(self):
        """Postmaster and every process of THIS cluster: children of the postmaster, and (as
        PostgreSQL processes chdir into their data directory) processes whose cwd is it."""
        pm = self.postmaster_pid()
        pids = set()
        if pm and proc_ppid_state(pm):
            pids.add(pm)
        target = os.path.realpath(self.datadir)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            info = proc_ppid_state(pid)
            if info is None or info[1] == "Z":
                continue
            if pm and info[0] == pm:
                pids.add(pid)
                continue
            try:
                if os.readlink(f"/proc/{pid}/cwd") == target:
                    pids.add(pid)
            except OSError:
                pass
        return pids

    def kill_all(self):
        """kill -9 the postmaster and all its processes, as in a crash; wait until they are gone."""
        pm = self.postmaster_pid()
        if pm and proc_ppid_state(pm):
            os.kill(pm, signal.SIGSTOP)  # no new backends from here on
        pids = self.server_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        def gone():
            return all(proc_ppid_state(p) is None or proc_ppid_state(p)[1] == "Z" for p in pids)

        wait_until(gone, 30, what=f"processes {sorted(pids)} to die")
        # A dead postmaster whose zombie is not yet reaped by init would make the restarted one
        # believe it still runs: wait for the reaping, and failing that drop the stale lock file
        # (nothing of this cluster is alive any more).
        try:
            wait_until(lambda: pm is None or proc_ppid_state(pm) is None, 20, what="reaping")
        except AssertionError:
            (self.datadir / "postmaster.pid").unlink(missing_ok=True)
        return pids

    # -- clients

    def dsn(self, dbname="postgres"):
        return make_conninfo(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname,
                             connect_timeout=10, options="-c statement_timeout=120000")

    def connect(self, dbname="postgres", autocommit=True):
        return psycopg.connect(self.dsn(dbname), autocommit=autocommit)

    def log_text(self):
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""


def index_problems(conn, index):
    return conn.execute("SELECT * FROM quiver.index_check(%s::regclass)", (index,)).fetchall()


def nearest_ids(conn, table, query, limit):
    return [r[0] for r in conn.execute(
        f"SELECT id FROM {table} ORDER BY v <-> %s::vector LIMIT {int(limit)}", (query,)).fetchall()]


def origin_run_paths(folder: Path):
    """The $ORIGIN-relative run paths (RPATH/RUNPATH) of the ELF files in `folder`, as paths
    relative to it."""
    found = set()
    for f in folder.iterdir():
        if not f.is_file() or f.is_symlink():
            continue
        with open(f, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
            data = fh.read()
        for text in re.findall(rb"\$ORIGIN[^\x00]*", data):
            for entry in text.decode("utf-8", "replace").split(":"):
                if entry.startswith("$ORIGIN"):
                    found.add(entry[len("$ORIGIN"):].lstrip("/") or ".")
    return found


def private_installation(dest: Path, add_extension_files=None):
    """A private copy of the PostgreSQL installation the tests use, whose extension directory
    holds quiver (installed), no pgvector, and `add_extension_files` ({file name: text}). The
    programs are copied (PostgreSQL finds its share and library directories relative to its own
    executable), everything else is linked to the original. Returns the copy's bin directory.
    For tests of the extension files themselves (the "vector" alias), which must not touch the
    real installation."""
    names = ("--bindir", "--sharedir", "--pkglibdir", "--libdir")
    dirs = dict(zip(names, (Path(p) for p in run([PG_BIN / "pg_config", *names]).stdout.split("\n"))))
    # Relocatable builds (the PyPI ones) find their shared libraries through $ORIGIN-relative
    # run paths, which may point outside the installation: the copy mirrors the layout from the
    # highest directory those paths reach, and links what they name.
    origin_libs = set()
    for folder in (dirs["--bindir"], dirs["--libdir"]):
        origin_libs |= {Path(os.path.normpath(folder / rel)) for rel in origin_run_paths(folder)}
    origin_libs = {p for p in origin_libs if p.is_dir()}
    prefix = Path(os.path.commonpath([str(d) for d in (*dirs.values(), *origin_libs)]))
    where = {k: dest / d.relative_to(prefix) for k, d in dirs.items()}
    shutil.rmtree(dest, ignore_errors=True)
    where["--bindir"].mkdir(parents=True)
    for lib in origin_libs:
        inside = any(d == lib or d in lib.parents for d in dirs.values())
        link = dest / lib.relative_to(prefix)
        if not inside and not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(lib)
    for prog in dirs["--bindir"].iterdir():
        shutil.copy2(prog, where["--bindir"] / prog.name)
    # library directories: links (the one inside the other needs no link of its own)
    for key in ("--libdir", "--pkglibdir"):
        if not any(p.is_symlink() for p in (where[key], *where[key].parents)) and not where[key].exists():
            where[key].parent.mkdir(parents=True, exist_ok=True)
            where[key].symlink_to(dirs[key])
    share, ext = where["--sharedir"], where["--sharedir"] / "extension"
    ext.mkdir(parents=True)
    for entry in dirs["--sharedir"].iterdir():
        if entry.name != "extension":
            (share / entry.name).symlink_to(entry)
    for entry in (dirs["--sharedir"] / "extension").iterdir():
        if not entry.name.startswith("vector.") and not entry.name.startswith("vector--"):
            (ext / entry.name).symlink_to(entry)
    for name, text in (add_extension_files or {}).items():
        (ext / name).write_text(text)
    return where["--bindir"]
