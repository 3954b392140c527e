"""Where things live (SPEC §2): config file, runbook search path, templates,
state dir, reports dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import runbookctl
from runbookctl.errors import UsageError, ValidationError

CONFIG_NAME = "runbookctl.yaml"
CONFIG_KEYS = ("reports_dir", "default_timeout", "operator", "ssh", "runbooks", "templates",
               "state_dir")
SSH_KEYS = ("user", "identity_file", "config_file", "known_hosts", "host_key_policy",
            "connect_timeout", "keepalive")
HOST_KEY_POLICIES = ("strict", "accept-new")


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
    default_timeout: float = 600.0
    operator: str | None = None
    ssh: dict[str, Any] = field(default_factory=dict)
    extra_runbook_dirs: tuple[Path, ...] = ()
    extra_template_dirs: tuple[Path, ...] = ()
    state_dir: str | None = None

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path else None


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
    from runbookctl.loader import parse_duration
    from runbookctl.yamlpos import problem, read_yaml_map, to_plain

    text, root = read_yaml_map(path, "config file", "reports_dir: ..., ssh: {...}")
    problems = [problem(text, root.key_pos[k], f"unknown config key '{k}' (known: "
                        f"{', '.join(CONFIG_KEYS)})") for k in root.value if k not in CONFIG_KEYS]
    data = to_plain(root)
    ssh = data.get("ssh") or {}
    if not isinstance(ssh, dict):
        problems.append(problem(text, root.value["ssh"].pos, "ssh: must be a mapping"))
        ssh = {}
    for key, value in ssh.items():
        pos = root.value["ssh"].key_pos.get(key, root.pos)
        if key not in SSH_KEYS:
            problems.append(problem(text, pos, f"unknown ssh key '{key}' (known: {', '.join(SSH_KEYS)})"))
        elif key == "host_key_policy" and value not in HOST_KEY_POLICIES:
            problems.append(problem(text, pos, f"ssh.host_key_policy must be one of "
                                    f"{', '.join(HOST_KEY_POLICIES)}, not {value!r}"))
        elif key in ("connect_timeout", "keepalive"):
            try:
                parse_duration(value)
            except ValueError as exc:
                problems.append(problem(text, pos, f"ssh.{key}: {exc}"))
    timeout = 600.0
    if "default_timeout" in data:
        try:
            timeout = parse_duration(data["default_timeout"])
        except ValueError as exc:
            problems.append(problem(text, root.value["default_timeout"].pos, str(exc)))
    if problems:
        raise ValidationError(problems)
    folder = path.parent
    return Config(
        path=path,
        reports_dir=_rel(folder, data.get("reports_dir")),
        default_timeout=timeout,
        operator=data.get("operator"),
        ssh=ssh,
        extra_runbook_dirs=tuple(Path(_rel(folder, d) or d) for d in _list(data.get("runbooks"))),
        extra_template_dirs=tuple(Path(_rel(folder, d) or d) for d in _list(data.get("templates"))),
        state_dir=_rel(folder, data.get("state_dir")),
    )


def _rel(folder: Path, value: object) -> str | None:
    if value is None:
        return None
    p = Path(os.path.expanduser(str(value)))
    return str(p if p.is_absolute() else folder / p)


def _list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


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


def reports_dir(cli: Path | None, config: Config) -> Path:
    if cli is not None:
        return cli
    if config.reports_dir:
        return Path(config.reports_dir)
    return Path("reports")

