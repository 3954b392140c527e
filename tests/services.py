"""Real services for end-to-end tests of the bundled runbooks.

Each fixture starts what it needs in its own temporary folder on free ports,
polls for readiness (never a fixed sleep) and stops everything at teardown,
so tests stay parallel-safe under pytest-xdist. Import the fixtures a test
needs by name: `from tests.services import postgres`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import pickle
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- PostgreSQL

def pg_bindir() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian layout)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


class PgSession:
    """A psql process holding one backend open; SQL is fed on stdin, never closed."""

    def __init__(self, pg: Postgres, sql: str, app: str, db: str) -> None:
        self.app = app
        self.pg = pg
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", *pg.conn_args(db)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PGAPPNAME": app},
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(sql.rstrip() + "\n")
        self.proc.stdin.flush()

    def wait_state(self, condition: str = "true", timeout: float = 15.0) -> int:
        """Wait until the backend shows in pg_stat_activity matching `condition`; its pid."""
        query = (f"select pid from pg_stat_activity where application_name = '{self.app}' "
                 f"and ({condition}) limit 1")
        return int(wait_for(lambda: self.pg.sql(query), timeout, f"session {self.app}: {condition}"))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1 with trust authentication."""

    root: Path
    port: int = 0
    max_connections: int = 40
    host: str = "127.0.0.1"
    user: str = "postgres"
    sessions: list[PgSession] = field(default_factory=list)
    _counter: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def vars(self) -> dict[str, str]:
        """The bundled runbooks' shared input names (pg_host, pg_port, ...) pointing at this cluster."""
        return {"pg_host": self.host, "pg_port": str(self.port), "pg_user": self.user,
                "pg_database": "postgres"}

    def conn_args(self, db: str = "postgres") -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.user, "-d", db]

    def _as_owner(self, args: list[str]) -> list[str]:
        # initdb and postgres refuse to run as root: hand the folder to `postgres`
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args

    def restart(self) -> None:
        """Start the stopped cluster again on the same port (a store coming back)."""
        bindir = pg_bindir()
        assert bindir is not None
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses={self.host} -c fsync=off "
                f"-c max_connections={self.max_connections} -c superuser_reserved_connections=2")
        subprocess.run(self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "-l",
                                       str(self.root / "server.log"), "-w", "-t", "60", "-o", opts,
                                       "start"]), capture_output=True, timeout=90, check=True)

    def stop_command(self) -> list[str]:
        """The command that stops the server at once (`pg_ctl stop -m immediate`)."""
        bindir = pg_bindir()
        assert bindir is not None
        return self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                               "-w", "stop"])

    def start(self) -> None:
        bindir = pg_bindir()
        if bindir is None:
            pytest.skip("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
        if os.geteuid() == 0:
            uid = pwd.getpwnam("postgres")
            os.chown(self.root, uid.pw_uid, uid.pw_gid)
        subprocess.run(self._as_owner([str(bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                                       "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        for _attempt in range(5):
            self.port = free_port()
            opts = (f"-p {self.port} -k {self.root} -c listen_addresses={self.host} -c fsync=off "
                    f"-c max_connections={self.max_connections} -c superuser_reserved_connections=2")
            started = subprocess.run(
                self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "-l",
                                str(self.root / "server.log"), "-w", "-t", "60", "-o", opts, "start"]),
                capture_output=True, timeout=90, check=False)
            if started.returncode == 0:
                return
        raise RuntimeError(f"PostgreSQL did not start: {(self.root / 'server.log').read_text()}")

    def stop(self) -> None:
        for s in self.sessions:
            s.close()
        bindir = pg_bindir()
        if bindir and (self.data / "postmaster.pid").exists():
            subprocess.run(self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "-m",
                                           "immediate", "-w", "stop"]),
                           capture_output=True, timeout=60, check=False)

    def sql(self, query: str, db: str = "postgres") -> str:
        """Run SQL with psql; stripped unaligned output."""
        out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", *self.conn_args(db),
                              "-c", query], capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.strip()

    def create_database(self, name: str) -> None:
        self.sql(f'create database "{name}"')

    def create_table(self, name: str, rows: int, db: str = "postgres") -> None:
        """A table `name(id, payload)` holding `rows` rows."""
        self.sql(f"create table {name} (id bigserial primary key, payload text not null); "
                 f"insert into {name} (payload) select md5(g::text) from generate_series(1, {rows}) g",
                 db)

    def session(self, sql: str, db: str = "postgres", app: str | None = None) -> PgSession:
        self._counter += 1
        s = PgSession(self, sql, app or f"rbtest-{self._counter}", db)
        self.sessions.append(s)
        return s

    def long_query(self, seconds: int = 60, db: str = "postgres", older_than: float = 0) -> PgSession:
        """An active `select pg_sleep(...)`, returned once it has run `older_than` seconds."""
        s = self.session(f"select pg_sleep({seconds});", db, app=None)
        s.wait_state(f"state = 'active' and now() - query_start > interval '{older_than} seconds'")
        return s

    def lock_holder(self, table: str, db: str = "postgres") -> PgSession:
        """Holds an ACCESS EXCLUSIVE lock on `table` inside a long `pg_sleep`."""
        s = self.session(f"begin; lock table {table} in access exclusive mode; select pg_sleep(60);", db)
        s.wait_state("state = 'active' and query like '%pg_sleep%'")
        return s

    def blocked_query(self, table: str, db: str = "postgres") -> PgSession:
        """A `select count(*)` waiting on a lock someone else holds."""
        s = self.session(f"select count(*) from {table};", db)
        s.wait_state("wait_event_type = 'Lock'")
        return s

    def idle_in_transaction(self, db: str = "postgres") -> PgSession:
        s = self.session("begin; select 1;", db)
        s.wait_state("state = 'idle in transaction'")
        return s

    def idle_connections(self, count: int, app: str, db: str = "postgres") -> list[PgSession]:
        """`count` idle connections under one application name (a leaking pool)."""
        out = [PgSession(self, "select 1;", app, db) for _ in range(count)]
        self.sessions += out
        wait_for(lambda: int(self.sql(f"select count(*) from pg_stat_activity where application_name "
                                      f"= '{app}' and state = 'idle'")) >= count,
                 what=f"{count} idle connections")
        return out

    def alive(self, pid: int) -> bool:
        return self.sql(f"select count(*) from pg_stat_activity where pid = {pid}") == "1"


@contextlib.contextmanager
def running_postgres(max_connections: int = 40) -> Iterator[Postgres]:
    """Start a cluster in a folder the `postgres` user can reach; stop and delete it after."""
    root = Path(tempfile.mkdtemp(prefix="rbpg-"))  # not tmp_path: root's pytest dir is 0700
    pg = Postgres(root, max_connections=max_connections)
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    with running_postgres() as pg:
        yield pg


@dataclass
class TeamStore:
    """A run store (docs/store.md) on a throwaway cluster: database `runs`, the admin
    `postgres` (superuser) and the login role runbookctl runs as, `rbtool`."""

    pg: Postgres
    db: str = "runs"
    tool: str = "rbtool"

    def url(self, user: str | None = None) -> str:
        return f"postgresql://{user or self.tool}@{self.pg.host}:{self.pg.port}/{self.db}"

    @property
    def admin_url(self) -> str:
        return self.url(self.pg.user)

    def config(self, folder: Path, **extra: str) -> Path:
        """A runbookctl.yaml in `folder` naming the store (and any other keys given)."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"store: {self.url()}", *(f"{k}: {v}" for k, v in extra.items())]
        path = folder / "runbookctl.yaml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def sql(self, query: str, user: str | None = None) -> str:
        out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.pg.host,
                              "-p", str(self.pg.port), "-U", user or self.pg.user, "-d", self.db,
                              "-c", query], capture_output=True, text=True, timeout=60, check=False)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
        return out.stdout.strip()

    def lines(self, run_id: str) -> list[str]:
        """A run's stored journal lines, in seq order."""
        out = self.sql(f"select line from events where run_id = '{run_id}' order by seq")
        return out.splitlines() if out else []


@pytest.fixture
def team_store(postgres: Postgres) -> TeamStore:
    """An empty database and the tool's role; `runbookctl store init` not run yet."""
    store = TeamStore(postgres)
    postgres.sql(f"create role {store.tool} login")
    postgres.create_database(store.db)
    return store


# --------------------------------------------------------------------------- HTTP helpers

class _Server:
    """A ThreadingHTTPServer on a free port, served from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler],
                 context: ssl.SSLContext | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port: int = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_text(self, status: int, body: str, ctype: str = "application/json") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


def utc_stamp(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- flaky API

@dataclass
class FlakyApi:
    """An API whose /health answers 500 `failures` times, then 200.

    POST /admin/restart counts a restart and sets the remaining failures to
    `after_restart_failures`. Every request is appended to `log_path`;
    `deploys_path` lists recent deploys, newest last.
    """

    root: Path
    failures: int
    after_restart_failures: int = 0
    health_calls: int = 0
    restarts: int = 0
    server: _Server | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "app.log"

    @property
    def deploys_path(self) -> Path:
        return self.root / "deploys.log"

    def log(self, level: str, text: str) -> None:
        with self.log_path.open("a") as fh:
            fh.write(f"{utc_stamp()} {level} {text}\n")

    def health(self) -> tuple[int, str]:
        with self.lock:
            self.health_calls += 1
            failing = self.failures > 0
            if failing:
                self.failures -= 1
        if failing:
            self.log("ERROR", "GET /health 500 database connection refused: pool exhausted")
            return 500, '{"status": "error", "detail": "database connection refused"}'
        self.log("INFO", "GET /health 200")
        return 200, '{"status": "ok"}'

    def restart(self) -> None:
        with self.lock:
            self.restarts += 1
            self.failures = self.after_restart_failures
        self.log("INFO", "service restarted")

    def write_deploys(self, minutes_ago: list[int]) -> None:
        """Deploy lines for the given ages; the file's mtime is the newest deploy."""
        now = datetime.now(UTC)
        lines = [f"{utc_stamp(now - timedelta(minutes=m))} deployed v1.4.{i} (commit {i:07x}) by ci"
                 for i, m in enumerate(sorted(minutes_ago, reverse=True))]
        self.deploys_path.write_text("\n".join(lines) + "\n")
        newest = time.time() - 60 * min(minutes_ago)
        os.utime(self.deploys_path, (newest, newest))


def _api_handler(api: FlakyApi) -> type[BaseHTTPRequestHandler]:
    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/health":
                self.send_text(*api.health())
            else:
                self.send_text(404, '{"detail": "not found"}')

        def do_POST(self) -> None:
            self.read_body()
            if self.path == "/admin/restart":
                api.restart()
                self.send_text(200, '{"restarted": true}')
            else:
                self.send_text(404, '{"detail": "not found"}')

    return Handler


@contextlib.contextmanager
def running_flaky_api(root: Path, failures: int, after_restart_failures: int = 0) -> Iterator[FlakyApi]:
    root.mkdir(parents=True, exist_ok=True)
    api = FlakyApi(root, failures, after_restart_failures)
    api.log_path.touch()
    api.server = _Server(_api_handler(api))
    try:
        yield api
    finally:
        api.server.close()


@pytest.fixture
def flaky_api(tmp_path: Path) -> Iterator[FlakyApi]:
    """Fails /health until restarted once (then fails once more while it warms up)."""
    with running_flaky_api(tmp_path / "api", failures=10**6, after_restart_failures=1) as api:
        yield api


# --------------------------------------------------------------------------- Stripe webhooks

def stripe_signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header value: t=...,v1=HMAC-SHA256(secret, "t.body")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_stripe_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> str | None:
    """None when valid, else why not (Stripe's scheme: any v1 matches, t within tolerance)."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    sigs = [v for k, v in parts if k.strip() == "v1"]
    if not stamps or not sigs or not stamps[0].isdigit():
        return "malformed Stripe-Signature header"
    t = int(stamps[0])
    if abs(time.time() - t) > tolerance:
        return "timestamp outside the tolerance zone"
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in sigs):
        return "no signatures found matching the expected signature for payload"
    return None


@dataclass
class StripeEndpoint:
    """A webhook endpoint verifying Stripe signatures; nginx-style access log."""

    root: Path
    secret: str
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    server: _Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/webhooks/stripe"

    @property
    def log_path(self) -> Path:
        return self.root / "access.log"

    def log(self, status: int, size: int, when: datetime | None = None, path: str = "/webhooks/stripe",
            agent: str = "Stripe/1.0 (+https://stripe.com/docs/webhooks)") -> None:
        stamp = (when or datetime.now(UTC)).strftime("%d/%b/%Y:%H:%M:%S +0000")
        with self.log_path.open("a") as fh:
            fh.write(f'127.0.0.1 - - [{stamp}] "POST {path} HTTP/1.1" {status} {size} "-" "{agent}"\n')

    def log_past(self, status: int, count: int, minutes_ago: float) -> None:
        """`count` past deliveries answered with `status`, `minutes_ago` ago."""
        when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        for _ in range(count):
            self.log(status, 52, when)

    def handle(self, header: str, body: bytes) -> tuple[int, str]:
        why = verify_stripe_signature(self.secret, header, body)
        if why is not None:
            self.rejected += 1
            return 400, json.dumps({"error": why})
        try:
            event = json.loads(body)
        except ValueError:
            return 400, '{"error": "invalid JSON"}'
        self.events.append(event)
        return 200, '{"received": true}'


def _stripe_handler(ep: StripeEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(_QuietHandler):
        def do_POST(self) -> None:
            body = self.read_body()
            if self.path != "/webhooks/stripe":
                status, text = 404, '{"error": "not found"}'
            else:
                status, text = ep.handle(self.headers.get("Stripe-Signature", ""), body)
            ep.log(status, len(text), path=self.path, agent=self.headers.get("User-Agent", "-"))
            self.send_text(status, text)

    return Handler


@contextlib.contextmanager
def running_stripe_endpoint(root: Path, secret: str) -> Iterator[StripeEndpoint]:
    root.mkdir(parents=True, exist_ok=True)
    ep = StripeEndpoint(root, secret)
    ep.log_path.touch()
    ep.server = _Server(_stripe_handler(ep))
    try:
        yield ep
    finally:
        ep.server.close()


@pytest.fixture
def stripe_endpoint(tmp_path: Path) -> Iterator[StripeEndpoint]:
    with running_stripe_endpoint(tmp_path / "stripe", "whsec_test_" + os.urandom(12).hex()) as ep:
        yield ep


# --------------------------------------------------------------------------- model artifacts

PREDICT_SCRIPT = '''\
"""Predict one input (JSON on stdin) with the model in $MODEL_DIR."""
import json, os, pathlib, sys, time
model = json.loads((pathlib.Path(os.environ["MODEL_DIR"]) / "model.json").read_text())
x = json.loads(sys.stdin.read() or "{}").get("x", 0)
time.sleep(model["latency_ms"] / 1000)
if x < model["min_x"]:
    sys.exit(f"prediction failed: x={x} outside the model's range")
print(json.dumps({"y": model["w"] * x + model["b"], "version": model["version"]}))
'''


@dataclass
class ModelArtifacts:
    """`model_dir` (model.json, weights.pkl, SHA256SUMS) with `previous/` beside the files."""

    model_dir: Path
    predict: Path
    samples: Path

    @property
    def previous(self) -> Path:
        return self.model_dir / "previous"

    @property
    def predict_cmd(self) -> str:
        return f"python3 {self.predict}"

    def checksums(self, folder: Path | None = None) -> dict[str, str]:
        folder = folder or self.model_dir
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.iterdir()) if p.is_file() and p.name != "SHA256SUMS"}


def write_model(folder: Path, version: str, latency_ms: int, min_x: float = -1e9,
                hang_x: float | None = None) -> None:
    """A model version: JSON parameters, pickled weights and a sha256sum manifest.

    `hang_x`: an input the version never answers (served by ModelServer only)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(json.dumps({"version": version, "w": 2.0, "b": 1.0,
                                                   "latency_ms": latency_ms, "min_x": min_x,
                                                   "hang_x": hang_x}))
    (folder / "weights.pkl").write_bytes(pickle.dumps({"version": version, "w": [2.0, 1.0]}))
    sums = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}"
            for n in ("model.json", "weights.pkl")]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")


def make_model_artifacts(root: Path, latency_ms: int = 20, previous_latency_ms: int = 20,
                         min_x: float = -1e9, hang_x: float | None = None) -> ModelArtifacts:
    """The current model (v2) in `root/models`, v1 in `root/models/previous`.

    Predictions of an input x below `min_x` fail; the samples hold 2 negatives in 6 and
    start with x=3 (the input the latency probe times).
    """
    art = ModelArtifacts(root / "models", root / "app" / "predict.py", root / "app" / "samples.jsonl")
    write_model(art.model_dir, "v2", latency_ms, min_x, hang_x)
    write_model(art.previous, "v1", previous_latency_ms)
    art.predict.parent.mkdir(parents=True, exist_ok=True)
    art.predict.write_text(PREDICT_SCRIPT)
    art.samples.write_text("".join(json.dumps({"x": x}) + "\n" for x in (3, -2, 5, 1, -7, 4)))
    return art


@pytest.fixture
def model_artifacts(tmp_path: Path) -> ModelArtifacts:
    return make_model_artifacts(tmp_path)


class ModelServer:
    """Predictions over HTTP for the model folder each request names (`$MODEL_DIR`).

    A call costs a curl start and no Python start-up, and a slow version is one that never
    answers its `hang_x` input (the caller's own timeout ends the call): what a probe
    measures then depends on the model, not on how loaded the test machine is.
    """

    def __init__(self) -> None:
        self.release = threading.Event()
        self.server = _Server(_model_handler(self.release))

    @property
    def predict_cmd(self) -> str:
        return ('curl -s --fail-with-body -H "X-Model-Dir: $MODEL_DIR" --data-binary @- '
                f"http://127.0.0.1:{self.server.port}/predict")

    def close(self) -> None:
        self.release.set()  # hung requests end, so the server can shut down
        self.server.close()


def _model_handler(release: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(_QuietHandler):
        def do_POST(self) -> None:
            model = json.loads((Path(self.headers["X-Model-Dir"]) / "model.json").read_text())
            x = json.loads(self.read_body() or b"{}").get("x", 0)
            if x == model.get("hang_x"):
                release.wait(120)
                self.close_connection = True
                return
            if x < model["min_x"]:
                self.send_text(422, f"prediction failed: x={x} outside the model's range\n",
                               "text/plain")
                return
            body = {"y": model["w"] * x + model["b"], "version": model["version"]}
            self.send_text(200, json.dumps(body) + "\n")

    return Handler


@contextlib.contextmanager
def running_model_server() -> Iterator[ModelServer]:
    server = ModelServer()
    try:
        yield server
    finally:
        server.close()


# --------------------------------------------------------------------------- TLS

@dataclass
class TlsServer:
    """A TLS listener with a self-signed certificate valid for `days` days."""

    cert: Path
    server: _Server

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def not_after(self) -> datetime:
        out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", str(self.cert)],
                             capture_output=True, text=True, check=True)
        return datetime.strptime(out.stdout.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")


def make_cert(folder: Path, days: int, cn: str = "localhost") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(days),
                    "-subj", f"/CN={cn}", "-addext", f"subjectAltName=DNS:{cn},IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class _TlsHandler(_QuietHandler):
    def do_GET(self) -> None:
        self.send_text(200, "ok\n", "text/plain")


@contextlib.contextmanager
def running_tls_server(folder: Path, days: int) -> Iterator[TlsServer]:
    cert, key = make_cert(folder, days)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _Server(_TlsHandler, context)
    try:
        yield TlsServer(cert, server)
    finally:
        server.close()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    with running_tls_server(tmp_path / "tls", days=20) as srv:
        yield srv


# --------------------------------------------------------------------------- running a bundled runbook

@dataclass
class BundledRun:
    """The outcome of one `runbookctl run` of a bundled runbook."""

    code: int
    output: str
    report: str
    journal: list[dict[str, Any]]
    seconds: float

    def step_outputs(self, step: str) -> str:
        """Everything the journal kept of a step's output (tails of every attempt)."""
        return "\n".join(h.get("tail", "") for e in self.journal
                         if e.get("type") == "command_finished" and e.get("step") == step
                         for h in e["data"].get("hosts", []))

    def captured(self, name: str) -> str | None:
        found = [e["data"]["value"] for e in self.journal
                 if e.get("type") == "captured" and e["data"].get("name") == name]
        return found[-1] if found else None

    def status(self, step: str) -> str | None:
        found = [e["data"].get("status") for e in self.journal
                 if e.get("type") == "step_finished" and e.get("step") == step]
        return found[-1] if found else None

    def skipped(self, step: str) -> bool:
        return any(e.get("type") == "step_skipped" and e.get("step") == step for e in self.journal)


def run_bundled(runbook: str, work: Path, variables: dict[str, str], answers: dict[str, Any],
                *extra: str, timeout: float = 240, env: dict[str, str] | None = None) -> BundledRun:
    """Run a bundled runbook through the real CLI, non-interactively, from `work`.

    `runbook` "weekly-<day>" goes through `runbookctl weekly <day>`.
    """
    import yaml

    from tests.helpers import journal_events, run_cli

    work.mkdir(parents=True, exist_ok=True)
    answers_file = work / f"answers-{runbook}.yaml"
    answers_file.write_text(yaml.safe_dump(answers, sort_keys=False))
    command = ["weekly", runbook.split("-", 1)[1]] if runbook.startswith("weekly-") else ["run", runbook]
    args = [*command, "--no-input", "--answers", str(answers_file),
            "--report-dir", str(work / "reports")]
    for name, value in variables.items():
        args += ["--var", f"{name}={value}"]
    started = time.monotonic()
    result = run_cli([*args, *extra], cwd=work, state=work / "state", timeout=timeout, **(env or {}))
    seconds = time.monotonic() - started
    reports = sorted((work / "reports").rglob("*.md"))
    assert len(reports) == 1, f"expected one report, got {reports}\n{result.output}"
    runs = sorted((work / "state" / "runs").iterdir())
    return BundledRun(result.code, result.output, reports[0].read_text(),
                      journal_events(runs[-1]), seconds)
