"""Where things live (README.md, "Where things live"): config file, runbook search path, templates,
state dir, reports dir.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import runbookctl
from runbookctl.errors import Problem, UsageError, ValidationError

if TYPE_CHECKING:
    from runbookctl.runbook.notify import Webhook

CONFIG_NAME = "runbookctl.yaml"
# ssh.host_key_policy: the executor (executors/ssh/connections.py) reads these names.
STRICT = "strict"
ACCEPT_NEW = "accept-new"
HOST_KEY_POLICIES = (STRICT, ACCEPT_NEW)
# approvals: which steps need a second person (engine/approval.py)
MARKED = "marked"
DANGEROUS = "dangerous"
# Where `runbookctl serve` listens by default: the base of a run's link without `url:`.
DEFAULT_URL = "http://127.0.0.1:8765"


@dataclass(frozen=True)
class Setting:
    """One config key: how its value is read, its default, what it does.

    `kind` is text | path | paths | duration | bool | choice | size | webhooks (a
    `notify:` list, runbook/notify.py); durations take
    the runbook syntax (durations.parse_duration), sizes bytes or `512 KiB`, `1 MiB`.
    The config check, the SSH code (executors.ssh.SSHConfig) and the README table are
    all built from these.
    """

    kind: str
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    zero_ok: bool = False  # a duration of 0 is allowed (else it must be above zero)

    @property
    def shown_default(self) -> str:
        if self.default is None or self.default == ():
            return "-"
        if self.kind == "duration":
            from runbookctl.durations import format_seconds

            return format_seconds(self.default)
        if self.kind == "size":
            return format_size(self.default)
        return str(self.default).lower() if self.kind == "bool" else str(self.default)


SETTINGS: dict[str, Setting] = {
    "reports_dir": Setting("path", None, "Where reports are written (default `./reports`)."),
    "default_timeout": Setting("duration", 600.0, "Timeout of a command step without `timeout:`."),
    "operator": Setting("text", None, "Who runs the runbooks, unless `--operator` says "
                        "(else `$RUNBOOKCTL_OPERATOR`, else the login name)."),
    "runbooks": Setting("paths", (), "Extra runbook folders (a folder or a list)."),
    "templates": Setting("paths", (), "Extra report template folders (a folder or a list)."),
    "state_dir": Setting("path", None, "Journals and logs, unless `$RUNBOOKCTL_STATE_DIR` says "
                         "(default `~/.local/state/runbookctl`)."),
    "allowed_signers": Setting("path", None, "Who may sign run records, for `verify` (OpenSSH "
                               "allowed_signers format; default: `.runbookctl/allowed_signers` "
                               "in the post-mortem repository)."),
    "require_signatures": Setting("bool", False, "`verify` fails a record that is not signed "
                                  "(to its end) by an allowed signer."),
    "commit_log_cap": Setting("size", 1024 * 1024, "`--commit` copies each step log beside "
                              "the report up to this size (its first and last lines, a note "
                              "says what was cut)."),
    "commit_logs_cap": Setting("size", 20 * 1024 * 1024, "`--commit` copies a run's logs up to "
                               "this size in all, in the order they were written."),
    "store": Setting("pgurl", None, "The team's shared run store, `postgresql://USER@HOST:PORT/DB` "
                     "(docs/store.md); the password comes from `$PGPASSWORD` or `~/.pgpass`, "
                     "never from this file."),
    "approvals": Setting("choice", MARKED, "Which steps wait for a second person's approval: "
                         "`marked` (those with `approval: required`) or `dangerous` (those and "
                         "every `dangerous: true` step).", (MARKED, DANGEROUS)),
    "notify": Setting("webhooks", (), "Webhooks every run notifies: a list of `{name, url, "
                      "format: slack|json, on: [events]}` (docs/runbook-format.md, *Notifications*)."),
    "url": Setting("text", None, "The base URL of `runbookctl serve` used in links (the "
                   f"terminal's approval line, notifications); default `{DEFAULT_URL}`."),
    "ssh": Setting("map", None, "SSH settings: the `ssh.*` keys below."),
}
SSH_SETTINGS: dict[str, Setting] = {
    "user": Setting("text", None, "Login name for hosts that name none (default: yours)."),
    "identity_file": Setting("path", None, "Private key tried first."),
    "config_file": Setting("path", "~/.ssh/config", "OpenSSH client config read for host "
                           "aliases (its `Include`s too); `none`: not read."),
    "system_config_file": Setting("path", "/etc/ssh/ssh_config", "The system-wide OpenSSH "
                                  "client config, read after `config_file` as ssh reads it "
                                  "(the first value found wins); `none`: not read."),
    "known_hosts": Setting("path", None, "Extra known_hosts file; `accept-new` writes new keys "
                           "here."),
    "user_known_hosts": Setting("path", "~/.ssh/known_hosts", "The user's known_hosts file."),
    "host_key_policy": Setting("choice", STRICT, "`strict`: unknown host keys are refused; "
                               "`accept-new`: recorded on first use.", HOST_KEY_POLICIES),
    "connect_timeout": Setting("duration", 10.0, "Give up connecting to a host after this long."),
    "keepalive": Setting("duration", 15.0, "Interval of keepalive messages on a connection."),
    "kill_grace": Setting("duration", 2.0, "An ssh step's timeout or Ctrl-C sends the remote "
                          "command SIGTERM, then SIGKILL after this long.", zero_ok=True),
    "use_agent": Setting("bool", True, "Use the keys of `ssh-agent` (`$SSH_AUTH_SOCK`)."),
    "signing_key": Setting("path", None, "Key that signs each run's record (`ssh-keygen -Y "
                           "sign`): a public key whose private half is in `ssh-agent`, or a "
                           "private key without passphrase (default: the agent's first key)."),
}


def read_setting(setting: Setting, value: object, folder: Path | None) -> Any:
    """The value of one key, checked and converted; ValueError says what is wrong."""
    from runbookctl.durations import parse_duration
    from runbookctl.runbook.readers import Bad, as_bool, as_text

    try:
        if setting.kind == "duration":
            return parse_duration(value, above_zero=not setting.zero_ok)
        if setting.kind == "bool":
            return as_bool(value)
        if setting.kind == "size":
            return parse_size(value)
        if setting.kind == "webhooks":
            from runbookctl.runbook.notify import read_webhooks

            return read_webhooks(value)
        if setting.kind == "paths":
            items = value if isinstance(value, list) else [value]
            return tuple(_rel(folder, as_text(v)) for v in items)
        text = as_text(value)
    except Bad as exc:
        raise ValueError(str(exc)) from None
    if setting.kind == "pgurl":
        return store_url(text)
    if setting.kind == "choice" and text not in setting.choices:
        raise ValueError(f"must be one of {', '.join(setting.choices)}, not {text!r}")
    return _rel(folder, text) if setting.kind == "path" else text


def store_url(text: str) -> str:
    """A PostgreSQL URL for `store:`, checked: ValueError for another scheme, no host or
    database, or a password in it (a config file is shared and committed: the password
    comes from $PGPASSWORD or ~/.pgpass, docs/store.md)."""
    from urllib.parse import parse_qs, urlsplit

    try:
        url = urlsplit(text.strip())
        url.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValueError(f"not a PostgreSQL URL ({exc}): postgresql://USER@HOST:PORT/DB") from None
    if url.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"must be a postgresql://USER@HOST:PORT/DB URL, not {text!r}")
    query = parse_qs(url.query)
    if url.password is not None or "password" in query:
        raise ValueError("a password must not be written in the config file: give it in "
                         "$PGPASSWORD or ~/.pgpass (docs/store.md)")
    if not (url.hostname or "host" in query) or not url.path.strip("/"):
        raise ValueError(f"needs a host and a database: postgresql://USER@HOST:PORT/DB, not {text!r}")
    return text.strip()


_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2,
          "gb": 1000**3, "gib": 1024**3}


def parse_size(value: object) -> int:
    """Bytes from `1048576`, `512 KiB`, `1MiB`, `20 MB`; ValueError says what is wrong."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
    unit = _UNITS.get(match.group(2).lower()) if match and not isinstance(value, bool) else None
    if match is None or unit is None:
        raise ValueError(f"must be a size such as 1048576, 512 KiB or 20 MiB, not {value!r}")
    return int(float(match.group(1)) * unit)


def format_size(size: int) -> str:
    """`1 MiB`, `512 KiB`, `1000 bytes`: the largest unit that divides it."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def read_settings(table: Mapping[str, Setting], data: Mapping[str, Any], folder: Path | None,
                  prefix: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    """Known keys' values (null = the default), and a message per bad key."""
    from runbookctl.runbook.readers import did_you_mean

    values: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for key, value in data.items():
        setting = table.get(key)
        if setting is None:
            bad[key] = (f"unknown config key '{prefix}{key}'{did_you_mean(key, table)} "
                        f"(known: {', '.join(table)})")
        elif value is not None and setting.kind != "map":
            try:
                values[key] = read_setting(setting, value, folder)
            except ValueError as exc:
                bad[key] = f"{prefix}{key}: {exc}"
    return values, bad


def config_reference() -> str:
    """The README's table of config keys (a test keeps the README in step)."""
    rows = ["| key | default | what it does |", "| --- | --- | --- |"]
    for prefix, table in (("", SETTINGS), ("ssh.", SSH_SETTINGS)):
        rows += [f"| `{prefix}{k}` | {s.shown_default} | {s.doc} |" for k, s in table.items()]
    return "\n".join(rows)


def bundled_dir(kind: str) -> Path:
    """runbooks/ or templates/ shipped with the package (wheel or source checkout)."""
    pkg = Path(runbookctl.__file__).parent
    installed = pkg / f"bundled_{kind}"
    if installed.is_dir():
        return installed
    return pkg.parent.parent / kind


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    reports_dir: str | None = None
    default_timeout: float = SETTINGS["default_timeout"].default  # one table: SETTINGS
    operator: str | None = None
    ssh: dict[str, Any] = field(default_factory=dict)
    extra_runbook_dirs: tuple[Path, ...] = ()
    extra_template_dirs: tuple[Path, ...] = ()
    state_dir: str | None = None
    allowed_signers: str | None = None
    require_signatures: bool = False
    commit_log_cap: int = SETTINGS["commit_log_cap"].default
    commit_logs_cap: int = SETTINGS["commit_logs_cap"].default
    store: str | None = None  # the shared run store's URL (docs/store.md), without password
    approvals: str = MARKED
    url: str | None = None
    notify: tuple[Webhook, ...] = ()

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path else None

    def run_url(self, run_id: str) -> str:
        """A run's page on `runbookctl serve` (`url:`, else the default address)."""
        return f"{(self.url or DEFAULT_URL).rstrip('/')}/runs/{run_id}"


def find_config_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: Path | None, cwd: Path | None = None) -> Config:
    """Read runbookctl.yaml (--config, or found in the working folder or its parents)."""
    path = explicit or find_config_file(cwd or Path.cwd())
    if path is None:
        return Config()
    if not path.is_file():
        raise UsageError(f"config file not found: {path}")
    from runbookctl.runbook.yaml_positions import problem, read_yaml_map

    text, root = read_yaml_map(path, "config file", "reports_dir: ..., ssh: {...}")
    folder = path.parent
    values, problems = _checked(text, root, SETTINGS, folder, "")
    ssh_node = root.value.get("ssh")
    ssh: dict[str, Any] = {}
    if ssh_node is not None and ssh_node.is_map:
        ssh, more = _checked(text, ssh_node, SSH_SETTINGS, folder, "ssh.")
        problems += more
    elif ssh_node is not None and ssh_node.value is not None:
        problems.append(problem(text, ssh_node.pos, "ssh: must be a mapping (ssh: {user: ops})"))
    if problems:
        raise ValidationError(sorted(problems, key=lambda p: (p.pos.line, p.pos.col)))
    return Config(
        path=path, reports_dir=values.get("reports_dir"),
        default_timeout=values.get("default_timeout", SETTINGS["default_timeout"].default),
        operator=values.get("operator"), ssh=ssh,
        extra_runbook_dirs=tuple(Path(d) for d in values.get("runbooks", ())),
        extra_template_dirs=tuple(Path(d) for d in values.get("templates", ())),
        state_dir=values.get("state_dir"), allowed_signers=values.get("allowed_signers"),
        require_signatures=values.get("require_signatures", False),
        commit_log_cap=values.get("commit_log_cap", SETTINGS["commit_log_cap"].default),
        commit_logs_cap=values.get("commit_logs_cap", SETTINGS["commit_logs_cap"].default),
        store=values.get("store"),
        approvals=values.get("approvals", MARKED), url=values.get("url"),
        notify=values.get("notify", ()),
    )


def _checked(text: str, node: Any, table: Mapping[str, Setting], folder: Path,
             prefix: str) -> tuple[dict[str, Any], list[Problem]]:
    """read_settings over one YAML mapping; each problem at its value (or unknown key)."""
    from runbookctl.runbook.yaml_positions import problem, to_plain

    data = {k: to_plain(v) for k, v in node.value.items()}
    values, bad = read_settings(table, data, folder, prefix)
    problems = [problem(text, node.value[k].pos if k in table else node.key_pos[k], message)
                for k, message in bad.items()]
    return values, problems


def _rel(folder: Path | None, value: str) -> str:
    """A path of the config: ~ expanded, relative to the config file's folder."""
    p = Path(os.path.expanduser(value))
    return str(folder / p if folder is not None and not p.is_absolute() else p)


def runbook_dirs(cli_dirs: list[Path], config: Config) -> list[Path]:
    """--runbooks, then $RUNBOOKCTL_PATH, then the config's folder runbooks/, then bundled."""
    dirs = list(cli_dirs)
    dirs += [Path(p) for p in os.environ.get("RUNBOOKCTL_PATH", "").split(":") if p]
    dirs += list(config.extra_runbook_dirs)
    if config.folder is not None:
        dirs.append(config.folder / "runbooks")
    dirs.append(bundled_dir("runbooks"))
    return list(dict.fromkeys(dirs))  # first occurrence wins


def template_dirs(rb_dirs: list[Path], config: Config) -> list[Path]:
    """templates/ beside each runbook dir (users shadow by file name), then bundled."""
    dirs = list(config.extra_template_dirs)
    dirs += [d.parent / "templates" for d in rb_dirs]
    dirs.append(bundled_dir("templates"))
    return list(dict.fromkeys(dirs))  # first occurrence wins


def state_dir(config: Config) -> Path:
    """$RUNBOOKCTL_STATE_DIR, config state_dir, else the platform state dir."""
    env = os.environ.get("RUNBOOKCTL_STATE_DIR")
    if env:
        return Path(env)
    if config.state_dir:
        return Path(config.state_dir)
    from platformdirs import user_state_dir

    return Path(user_state_dir("runbookctl"))


def make_state_subdir(state: Path, *parts: str) -> Path:
    """Create state/parts… (a run's folder); an unwritable state dir (read-only, not a folder)
    is a clear exit 2 naming it, not an internal error."""
    path = state.joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise UsageError(
            f"cannot write to the state folder {state}: {exc.strerror or exc} ({path}); set "
            "RUNBOOKCTL_STATE_DIR or state_dir: in runbookctl.yaml to a writable folder") from None
    return path


def reports_dir(cli: Path | None, config: Config) -> Path:
    if cli is not None:
        return cli
    if config.reports_dir:
        return Path(config.reports_dir)
    return Path("reports")

