"""Which hosts an ssh step runs on: --hosts, the runbook's hosts:, inventory.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import UsageError

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.runbook.inventory import HostSpec
    from runbookctl.runbook.model import Runbook, Step

INVENTORY = "inventory.yaml"


def inventory_files(runbook_dirs: list[Path]) -> list[Path]:
    """`inventory.yaml` beside the runbooks, in search-path order."""
    return [d / INVENTORY for d in runbook_dirs if (d / INVENTORY).is_file()]


@cache
def _load(path: Path) -> dict[str, list[HostSpec]]:
    from runbookctl.runbook.inventory import load_inventory

    return load_inventory(path)


def inventory(runbook_dirs: list[Path]) -> dict[str, list[HostSpec]]:
    """Groups of every inventory on the path; an earlier file's group shadows a later one's."""
    merged: dict[str, list[HostSpec]] = {}
    for path in inventory_files(runbook_dirs):
        for group, members in _load(path).items():
            merged.setdefault(group, members)
    return merged


def hosts_for_step(step: Step, rb: Runbook, session: Session, cli: list[str]) -> list[str]:
    """The host specs of an ssh step, in order, without duplicates."""
    from runbookctl.runbook.inventory import parse_cli_hosts, resolve_hosts

    specs = resolve_hosts(step.hosts, rb.hosts, inventory(session.registry.runbook_dirs),
                          parse_cli_hosts(cli))
    if not specs:
        raise UsageError(f"step {step.id}: no hosts to run on (hosts: {', '.join(step.hosts)})")
    return [str(s) for s in specs]


def cli_groups(cli: list[str], rb: Runbook, session: Session) -> dict[str, list[str]]:
    """`--hosts GROUP=h1,h2`, parsed and checked before anything runs (exit 2): each
    GROUP must be one a step of the runbook (or of a runbook it includes) runs on —
    a mistyped group would be ignored, and the step run on the hosts it was to replace."""
    from runbookctl.runbook.includes import steps
    from runbookctl.runbook.inventory import parse_cli_hosts
    from runbookctl.runbook.readers import did_you_mean

    groups = parse_cli_hosts(cli)
    used = sorted({name for placed in steps(rb, session.registry.try_load)
                   for name in placed.step.hosts})
    for group, members in groups.items():
        if group not in used:
            raise UsageError(
                f"--hosts {group}={','.join(members)}: no step of {rb.id} runs on a group "
                f"'{group}'{did_you_mean(group, used)}; its steps run on: "
                f"{', '.join(used) or 'no hosts'}")
    return groups


def as_options(groups: dict[str, list[str]]) -> list[str]:
    """The `--hosts` options that give `groups` (a run's, as its journal kept them)."""
    return [f"{group}={','.join(members)}" for group, members in groups.items()]
