"""A shell variable that one step sets from a command's output and later steps read
(`POD=$(kubectl get pods -o name | head -1)`, then `kubectl logs $POD`).

Every step runs in a shell of its own, so the assignment alone would be lost and the
later steps would ask the operator for $POD before the run starts, when nobody knows
it yet. The step runs the command instead and captures its output (`capture:`), and
the later steps read the captured value (`{{ pod }}`, quoted for where it lands).
Only a step whose one command line is that assignment, of a name in capitals that
no other step sets, is turned so: anything else keeps its TODO note (playbook.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from runbookctl.importers.code import RawStep, shell_names
from runbookctl.importers.placeholders import DraftInput, command_template, input_name

_SETS = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Z_][A-Z0-9_]*)="
                   r"(?:\$\((?P<sub>.+)\)|`(?P<ticks>[^`]+)`)\s*;?\s*$")


@dataclass(frozen=True)
class Capture:
    shell_name: str  # POD
    command: str  # what prints its value
    name: str  # the runbook variable the later steps read: pod

    def replaces(self, spec: DraftInput) -> bool:
        """Whether an input was made only for this variable (its later uses)."""
        return spec.help in (f"replaces ${self.shell_name} in the playbook's commands",
                             f"replaces ${{{self.shell_name}}} in the playbook's commands")

    def note(self) -> str:
        return (f"the playbook sets ${self.shell_name} here from this command's output: it is "
                f"captured as {{{{ {self.name} }}}} for the later steps; check the command "
                f"prints only the value")


def capture_of(code: str) -> tuple[str, str] | None:
    """(NAME, command) when the code's one command line is `[export ]NAME=$(command)`."""
    lines = [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1:
        return None
    found = _SETS.match(lines[0])
    if found is None:
        return None
    command = (found.group("sub") or found.group("ticks")).strip()
    return (found.group("name"), command) if command else None


def captures(steps: Sequence[RawStep], assigned: frozenset[str]) -> dict[int, Capture]:
    """The run steps (by index) whose output later steps read through a variable."""
    runs = [(i, s) for i, s in enumerate(steps) if s.action == "run" and not s.interactive]
    names = {i: shell_names(s.text) for i, s in runs}
    taken: dict[str, DraftInput] = {}  # what the placeholders would make inputs of
    for _i, s in runs:
        command_template(s.text, taken, assigned & frozenset(shell_names(s.text)[0]))
    found: dict[int, Capture] = {}
    for i, step in runs:
        sets = capture_of(step.text)
        if sets is None:
            continue
        shell_name, command = sets
        capture = Capture(shell_name, command, input_name(shell_name))
        set_elsewhere = any(shell_name in names[j][0] for j, _ in runs if j != i)
        read_later = any(shell_name in names[j][1] - names[j][0] for j, _ in runs if j > i)
        clash = capture.name in taken and not capture.replaces(taken[capture.name])
        if read_later and not set_elsewhere and not clash:
            found[i] = capture
    return found
