"""Hosts as the user writes them: host specs (`user@host:port`), `inventory.yaml`
groups, `--hosts GROUP=h1,h2`, and group resolution into host specs.

No paramiko here: runbooks and the inventory are checked before any connection
is made. Where a spec leads (~/.ssh/config) is executors/ssh/targets.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.errors import UsageError

if TYPE_CHECKING:

    from runbookctl.runbook.yaml_positions import YNode

DEFAULT_PORT = 22
_BAD_HOST = re.compile(r"[\s'\"`$;&|<>()\\]")


class HostSpecError(UsageError):
    """A host spec, inventory or ssh config that cannot be used."""


@dataclass(frozen=True)
class HostSpec:
    """One host as named by a user: `user@host:port`, `host`, `[::1]:22` or an
    ~/.ssh/config alias. `str()` gives the canonical spec back."""

    host: str  # name, address or ssh-config alias; IPv6 without brackets
    user: str | None = None
    port: int | None = None
    vars: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and self.port is not None else self.host
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port is not None else ""
        return f"{user}{host}{port}"


def parse_host_spec(text: str) -> HostSpec:
    """`user@host:port`, `host`, `[::1]:22`, `::1` -> HostSpec (HostSpecError if malformed)."""
    raw = str(text).strip()
    user, at, rest = raw.rpartition("@")
    port: str | None = None
    if rest.startswith("["):
        host, bracket, after = rest[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise HostSpecError(f"bad host '{raw}': expected [address]:port")
        port = after[1:] if after else None
    elif rest.count(":") == 1:
        host, _, port = rest.partition(":")
    else:
        host = rest  # a bare IPv6 address has several colons and no port
    if not host or host.startswith("-") or _BAD_HOST.search(host):
        raise HostSpecError(f"bad host '{raw}'")
    if (at and not user) or _BAD_HOST.search(user):
        raise HostSpecError(f"bad user in host '{raw}'")
    return HostSpec(host=host, user=user or None, port=_port(port, raw))


def _port(text: str | None, raw: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise HostSpecError(f"bad port in host '{raw}'")
    return int(text)


def as_host_spec(host: str | HostSpec) -> HostSpec:
    return host if isinstance(host, HostSpec) else parse_host_spec(host)


# --- inventory.yaml ---------------------------------------------------------


def load_inventory(path: Path) -> dict[str, list[HostSpec]]:
    """Groups of hosts from an inventory.yaml; {} when the file is missing or empty.

    Each group is a list of hosts (spec strings or `{host, user, port, vars}`)
    or a mapping `{hosts: list-or-mapping, vars: {...}}`; group vars are the
    defaults of each host's vars. Raises ValidationError with file:line:col.
    """
    from runbookctl.errors import ValidationError
    from runbookctl.runbook.yaml_positions import parse_yaml, read_source

    if not path.is_file():
        return {}
    _raw, text = read_source(path, "inventory")  # not UTF-8: file:line:col, as a runbook
    if not text.strip():
        return {}
    reader = _InventoryReader(text)
    groups = reader.read(parse_yaml(text, str(path)))
    if reader.problems:
        raise ValidationError(sorted(reader.problems, key=lambda p: (p.pos.line, p.pos.col)))
    return groups


class _InventoryReader:
    def __init__(self, text: str) -> None:
        from runbookctl.errors import Problem

        self.text = text
        self.problems: list[Problem] = []

    def fail(self, node: YNode, message: str, key: str | None = None) -> None:
        """A problem at `node`, or at its key `key` when given."""
        from runbookctl.runbook.yaml_positions import problem

        pos = node.key_pos.get(key, node.pos) if key else node.pos
        self.problems.append(problem(self.text, pos, message))

    def read(self, root: YNode) -> dict[str, list[HostSpec]]:
        if not root.is_map:
            self.fail(root, "the inventory must map group names to hosts")
            return {}
        return {name: self.group(node) for name, node in root.value.items()}

    def group(self, node: YNode) -> list[HostSpec]:
        group_vars: dict[str, Any] = {}
        hosts: YNode | None = node
        if node.is_map:
            for key in sorted(set(node.value) - {"hosts", "vars"}):
                self.fail(node, f"unknown group key '{key}' (known: hosts, vars)", key)
            group_vars = self.vars(node.value.get("vars"))
            hosts = node.value.get("hosts")
        if hosts is None or hosts.value is None:
            return []
        items: list[tuple[str | None, YNode]]
        if hosts.is_map:
            items = list(hosts.value.items())
        elif hosts.is_seq:
            items = [(None, v) for v in hosts.value]
        else:
            self.fail(hosts, "a group is a list of hosts or a mapping with 'hosts:'")
            return []
        specs = (self.host(name, value, group_vars) for name, value in items)
        return [s for s in specs if s is not None]

    def host(self, name: str | None, node: YNode, group_vars: dict[str, Any]) -> HostSpec | None:
        fields: dict[str, YNode] = dict(node.value) if node.is_map else {}
        if name is None and not node.is_map:
            name = node.value
        elif name is None:
            host_node = fields.pop("host", None)
            name = host_node.value if host_node else None
        elif node.value is not None and not node.is_map:
            self.fail(node, "host settings must be a mapping (user, port, vars)")
            return None
        unknown = sorted(set(fields) - {"user", "port", "vars"})
        for key in unknown:
            self.fail(node, f"unknown host key '{key}' (known: host, user, port, vars)", key)
        if not isinstance(name, str):
            self.fail(node, "a host needs 'host:' (a name or user@host:port)")
        if unknown or not isinstance(name, str):
            return None
        try:
            spec = parse_host_spec(name)
            port = fields["port"].value if "port" in fields else spec.port
            port = _port(str(port), name) if port is not None else None
        except HostSpecError as exc:
            self.fail(node, exc.message)
            return None
        user = fields["user"].value if "user" in fields else spec.user
        host_vars = {**group_vars, **self.vars(fields.get("vars"))}
        return HostSpec(spec.host, str(user) if user else None, port, host_vars)

    def vars(self, node: YNode | None) -> dict[str, Any]:
        from runbookctl.runbook.yaml_positions import to_plain

        if node is None or node.value is None:
            return {}
        if not node.is_map:
            self.fail(node, "vars must be a mapping")
            return {}
        return dict(to_plain(node))


# --- group resolution -------------------------------------------------------


def resolve_hosts(
    names: Sequence[str],
    runbook_hosts: Mapping[str, Sequence[str]],
    inventory: Mapping[str, Sequence[HostSpec]],
    cli_hosts: Mapping[str, Sequence[str]],
) -> list[HostSpec]:
    """Expand a step's `hosts:` into host specs, in order, without duplicates.

    A name is a group from `--hosts` first, then the runbook's `hosts:`, then
    the inventory, else a host spec itself. Members of a --hosts/runbook group
    may name an inventory group; a bare member that is an inventory host gets
    that host's user, port and vars.
    """
    known = {h.host: h for group in inventory.values() for h in group}
    out: dict[str, HostSpec] = {}
    for name in names:
        for spec in _expand(name, runbook_hosts, inventory, cli_hosts, known):
            out.setdefault(str(spec), spec)
    return list(out.values())


def _expand(
    name: str,
    runbook_hosts: Mapping[str, Sequence[str]],
    inventory: Mapping[str, Sequence[HostSpec]],
    cli_hosts: Mapping[str, Sequence[str]],
    known: Mapping[str, HostSpec],
) -> list[HostSpec]:
    members = cli_hosts.get(name)
    if members is None:
        members = runbook_hosts.get(name)
    if members is None:
        return list(inventory[name]) if name in inventory else [_known(name, known)]
    out: list[HostSpec] = []
    for member in members:
        out.extend(inventory[member] if member in inventory else [_known(member, known)])
    return out


def _known(text: str, known: Mapping[str, HostSpec]) -> HostSpec:
    spec = parse_host_spec(text)
    inv = known.get(spec.host)
    if inv is None or spec.user or spec.port:
        return spec
    return inv


def parse_cli_hosts(values: Sequence[str]) -> dict[str, list[str]]:
    """`--hosts GROUP=h1,h2` (repeatable) -> {group: [h1, h2]}."""
    groups: dict[str, list[str]] = {}
    for value in values:
        group, eq, hosts = value.partition("=")
        members = [h.strip() for h in hosts.split(",") if h.strip()]
        if not eq or not group.strip() or not members:
            raise HostSpecError(f"--hosts expects GROUP=host1,host2, got '{value}'")
        for member in members:
            parse_host_spec(member)  # fail now, not at the step
        groups.setdefault(group.strip(), []).extend(members)
    return groups
