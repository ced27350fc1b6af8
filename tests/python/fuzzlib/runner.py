"""Runs campaign statements one by one and records failures: a backend crash (connection lost,
"terminated by signal" in the server log, or a new pg_postmaster_start_time()), or an error
whose SQLSTATE means a bug rather than bad input (XX000 internal_error, XX001 data_corrupted,
XX002 index_corrupted, class 58 system errors, 53200 out of memory). 58P01 undefined_file is bad
input, not a bug: it is what PostgreSQL (and quiver.import_vectors) report for a path that does
not exist, and the campaign passes random paths."""
import os
import re
import time

import psycopg

from fuzzlib.shrink import shrink

BAD_SQLSTATES = ("XX000", "XX001", "XX002", "53200")
STATEMENT_TIMEOUT = "3s"


def is_bad(sqlstate):
    return sqlstate is not None and (sqlstate in BAD_SQLSTATES or (sqlstate.startswith("58") and sqlstate != "58P01"))


def _first_line(e):
    text = str(e).strip()
    return text.splitlines()[0] if text else repr(e)


def called_function(sql):
    """The first quiver.* function a statement calls, else its first function call."""
    m = re.search(r"\b(quiver\.[a-z_]+)\s*\(", sql) or re.search(r"\b([a-z_][a-z_0-9]*)\s*\(", sql)
    return m.group(1) if m else ""


class Finding:
    def __init__(self, kind, sqlstate, message, sql, setup, history=()):
        self.kind, self.sqlstate, self.message, self.sql, self.setup = kind, sqlstate, message, sql, setup
        self.history = list(history)  # statements that led to the state the statement ran in
        self.count = 1
        self.known = None

    def key(self):
        # One finding per problem and function: numbers, quoted values and details vary.
        msg = re.sub(r"\{[^}]*\}", "{…}", re.sub(r'"[^"]*"', '"…"', self.message or ""))
        return (self.kind, self.sqlstate, re.sub(r"\d+", "N", msg), called_function(self.sql))

    def repro(self):
        setup = [sql for key, sql in self.setup if key in self.sql or any(key in h for h in self.history)]
        return "".join(sql.rstrip(";") + ";\n" for sql in setup + self.history) + f"{self.sql};"

    def describe(self):
        return f"  {called_function(self.sql) or '-'} (seen {self.count}x):\n    " + self.repro().replace("\n", "\n    ")


def report(findings):
    """Findings grouped by problem (kind, SQLSTATE, message), one reproduction per function."""
    groups = {}
    for f in findings:
        groups.setdefault(f.key()[:3], []).append(f)
    out = []
    for (kind, state, _), fs in groups.items():
        head = f"[{kind}] {state or '-'}: {fs[0].message}  ({sum(f.count for f in fs)}x, {len(fs)} functions)"
        if fs[0].known:
            head += f"\n  KNOWN, outside the types area: {fs[0].known}"
        out.append(head + "\n" + "\n".join(f.describe() for f in fs))
    return "\n".join(out)


class Runner:
    """One connection to the campaign database; `run` never raises for SQL errors."""

    def __init__(self, conninfo, known=(), session_setup=()):
        self.conninfo = conninfo
        self.known = known
        self.session_setup = list(session_setup)
        self.count = 0
        self.findings = {}
        self.setup = []  # (name, sql): setup a reproduction needs when it mentions name
        self.history = []  # statements a reproduction replays before the failing one
        self.conn = None
        self._connect()
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_postmaster_start_time(), current_setting('data_directory')")
            self.start_time, datadir = cur.fetchone()
        if isinstance(datadir, bytes):  # text comes back as bytes from a SQL_ASCII database
            datadir = datadir.decode()
        self.log_path = os.path.join(datadir, "server.log")
        self.log_offset = self._log_size()

    # ---- connection handling ----

    def _connect(self, wait=60.0):
        deadline = time.monotonic() + wait
        while True:
            try:
                self.conn = psycopg.connect(self.conninfo, autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        with self.conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
            cur.execute("SET lock_timeout = '2s'")
            cur.execute("SET client_min_messages = error")
            cur.execute("SELECT '[1]'::vector")  # load the library, so hnsw.* GUCs exist
            for sql in self.session_setup:
                cur.execute(sql)

    def _log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return None

    def crash_lines(self):
        """Server-log lines about backends killed by a signal since the campaign began."""
        if self.log_offset is None:
            return []
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_offset)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [line for line in text.splitlines()
                if "terminated by signal" in line or "was terminated by exception" in line or "PANIC:" in line]

    def postmaster_restarted(self):
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_postmaster_start_time()")
            return cur.fetchone()[0] != self.start_time

    # ---- statements ----

    def _record(self, kind, sqlstate, message, sql, shrinkable):
        f = Finding(kind, sqlstate, message, sql, list(self.setup), self.history)
        old = self.findings.get(f.key())
        if old is not None:
            old.count += 1
            return
        if shrinkable:
            f.sql = shrink(sql, lambda cand: self._fails_like(cand, f), budget=10 if kind == "crash" else 60)
        for message_pattern, sql_pattern, note in self.known:
            if re.search(message_pattern, f.message or "") and re.search(sql_pattern, f.sql, re.S):
                f.known = note
        self.findings[f.key()] = f

    def _fails_like(self, sql, finding):
        status, state, message = self._execute(sql, None, None, 10)
        if status == "lost":
            self._reconnect()
        kind = "crash" if status == "lost" else "internal error" if state and state.startswith("XX") else "error"
        probe = Finding(kind, state, message, sql, [])
        return (status == "lost" or is_bad(state)) and probe.key()[:3] == finding.key()[:3]

    def _reconnect(self):
        try:
            self.conn.close()
        except Exception:
            pass
        self._connect()

    def _execute(self, sql, params, copy_data, fetch):
        """("ok" | "error" | "lost", sqlstate, message)."""
        try:
            with self.conn.cursor() as cur:
                if copy_data is not None:
                    with cur.copy(sql) as cp:
                        cp.write(copy_data)
                else:
                    cur.execute(sql, params)
                    if cur.description is not None:
                        cur.fetchmany(fetch)
            return ("ok", None, None)
        except (psycopg.errors.AdminShutdown, psycopg.errors.CrashShutdown) as e:
            return ("lost", None, _first_line(e))  # 57P01 / 57P02: crash recovery ended this backend
        except psycopg.Error as e:
            if self.conn.closed or self.conn.broken or (isinstance(e, psycopg.OperationalError) and e.sqlstate is None):
                return ("lost", None, _first_line(e))
            return ("error", e.sqlstate, e.diag.message_primary or str(e))
        except UnicodeError as e:  # the client could not encode the statement or decode a result
            return ("error", None, str(e))

    def run(self, sql, params=None, copy_data=None, fetch=200, note=None):
        """Execute one statement (or a COPY ... FROM STDIN fed with `copy_data` bytes); `note`
        is added to a reproduction (e.g. the bytes of a binary parameter). Returns the
        SQLSTATE of an error, "crash", or None."""
        self.count += 1
        status, state, message = self._execute(sql, params, copy_data, fetch)
        shown = sql if note is None else f"{sql}\n-- {note}"
        plain = params is None and copy_data is None
        if status == "lost":
            self._reconnect()
            self._record("crash", None, f"connection lost: {message}", shown, plain)
            return "crash"
        if is_bad(state):
            self._record("internal error" if state.startswith("XX") else "error", state, message, shown, plain)
        return state

    def must(self, sql):
        """Setup statements: they must succeed."""
        with self.conn.cursor() as cur:
            cur.execute(sql)

    # ---- summary ----

    def final_check(self):
        """Crashes no statement saw (another backend, a background process) still count."""
        lines = self.crash_lines()
        if lines and not any(f.kind == "crash" for f in self.findings.values()):
            for line in lines:
                self._record("crash", None, "server log: " + line.strip()[:300],
                             "-- (no statement saw it; see the server log)", False)
        self.log_lines = lines
        try:
            if self.postmaster_restarted() and not any(f.kind == "crash" for f in self.findings.values()):
                self._record("crash", None, "pg_postmaster_start_time() changed", "-- (postmaster restarted)", False)
        except psycopg.Error:
            pass

    def crashes(self):
        return sum(f.count for f in self.findings.values() if f.kind == "crash")

    def internal_errors(self):
        return sum(f.count for f in self.findings.values() if f.kind != "crash")
