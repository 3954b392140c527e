"""A shell variable that one step sets from a command's output and later steps read
(`POD=$(kubectl get pods -o name | head -1)`, then `kubectl logs $POD`).

Every step runs in a shell of its own, so the assignment alone would be lost and the
later steps would ask the operator for $POD before the run starts, when nobody knows
it yet. The step runs the command instead and captures its output (`capture:`); it
fails unless that output is one line, not empty (`expect:`: a list, or nothing, is
never handed on as one word), and the later steps read the captured value
(`{{ pod }}`, quoted as one word where it lands).

Only the plain case is turned so, anything else keeps its TODO note (playbook.py):
the step's one command line is the assignment (`[export ]NAME=$(…)` or `` NAME=`…` ``),
of a name in capitals that is not one the environment provides (KUBECONFIG, HOME…),
that no other step sets (a session's typed lines included) and none before reads,
and that later run steps read only as `$NAME` or `${NAME}` (no `${NAME:-default}`),
with no other placeholder of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from runbookctl.importers.code import WELL_KNOWN, RawStep, shell_names
from runbookctl.importers.placeholders import DraftInput, command_template, input_name

_SETS = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Z_][A-Z0-9_]*)=(?P<rest>\$\(|`)")
# The output is one line, and not empty: what `$(…)` gives a later `$NAME` as one word.
ONE_LINE = 'result.stdout.strip() != "" and "\\n" not in result.stdout.strip()'


@dataclass(frozen=True)
class Capture:
    shell_name: str  # POD
    command: str  # what prints its value
    name: str  # the runbook variable the later steps read: pod

    def replaces(self, help_: str) -> bool:
        """Whether an input with this help was made only for this variable (its uses)."""
        return help_ in (f"replaces ${self.shell_name} in the playbook's commands",
                         f"replaces ${{{self.shell_name}}} in the playbook's commands")

    def note(self) -> str:
        return (f"the playbook sets ${self.shell_name} here from this command's output: it is "
                f"captured as {{{{ {self.name} }}}} for the later steps (one line, not empty, "
                f"or the step fails); check the command prints only the value")


def capture_of(code: str) -> tuple[str, str] | None:
    """(NAME, command) when the code's one command line is `[export ]NAME=$(command)`."""
    lines = [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1:
        return None
    found = _SETS.match(lines[0])
    if found is None:
        return None
    start = found.end()
    end = _closing(lines[0], start, found.group("rest"))
    if end is None or lines[0][end + 1:].strip() not in ("", ";"):
        return None  # not the whole line: another command, a comment, a second assignment
    command = lines[0][start:end].strip()
    return (found.group("name"), command) if command else None


def _closing(line: str, start: int, opener: str) -> int | None:
    """Where the `$(` (or backquote) opened before `start` closes; None if it does not."""
    if opener == "`":
        end = line.find("`", start)
        return end if end >= 0 else None
    depth, quote, i = 1, "", start
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "\\":
            i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _reads(code: str, name: str) -> list[str]:
    """How `code` reads $name: each reference as written (`$POD`, `${POD}`, `${POD:-x}`)."""
    unquoted = re.sub(r"'[^'\n]*'", "''", code)
    return re.findall(r"\$\{[#!]?" + name + r"\b[^}]*\}?|\$" + name + r"\b", unquoted)


def captures(steps: Sequence[RawStep], assigned: frozenset[str]) -> dict[int, Capture]:
    """The run steps (by index) whose output later steps read through a variable."""
    runs = [(i, s) for i, s in enumerate(steps) if s.action == "run"]
    # What every step sets, whatever it is: lines typed in a session are shown in one
    sets = {i: shell_names(s.text)[0] | shell_names(s.inside)[0] for i, s in enumerate(steps)}
    sources: dict[str, set[str]] = {}  # input name -> what made it, in any step
    for _i, step in runs:
        made: dict[str, DraftInput] = {}
        command_template(step.text, made, assigned & frozenset(shell_names(step.text)[0]))
        for name, spec in made.items():
            sources.setdefault(name, set()).add(spec.help)
    found: dict[int, Capture] = {}
    for i, step in runs:
        parsed = None if step.interactive else capture_of(step.text)
        if parsed is None or parsed[0] in WELL_KNOWN:
            continue
        capture = Capture(parsed[0], parsed[1], input_name(parsed[0]))
        reads = {j: _reads(s.text, capture.shell_name) for j, s in runs if j != i}
        plain_reads = {f"${capture.shell_name}", f"${{{capture.shell_name}}}"}
        if (any(capture.shell_name in names for j, names in sets.items() if j != i)  # set elsewhere
                or any(reads[j] for j in reads if j < i)  # read before it is set
                or not any(reads[j] for j in reads if j > i)  # never read after
                or any(set(reads[j]) - plain_reads for j in reads)  # ${POD:-default}, ${#POD}
                or not all(map(capture.replaces, sources.get(capture.name, ())))):  # <pod>
            continue
        found[i] = capture
    return found
