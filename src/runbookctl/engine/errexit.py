"""A multi-line command stops at its first failing line, as CI systems run scripts
(GitHub Actions: `bash -e` / `sh -e`; bash also `-o pipefail` when chosen).

The options are set by the command itself, in front of its first line and on the
same line (`set -e; …`), so the shell's line numbers in its error messages still
match the runbook's. That text works the same wherever the command runs: local
(`sh -c`, or the `eval` behind the local executor's gate, where `set -e` set
inside the eval holds for the rest of it), over SSH (`sh -c` on the host, sudo
or not), with no extra process or exec, so a step costs what it did. A
single-line command is left as written: one command's exit status is the
step's with or without `set -e`, and `a | b` keeps its usual status.
"""

from __future__ import annotations

import os

# Shells that read `set -e`; a step's `shell:` outside these (python3, …) is left alone.
POSIX_SHELLS = frozenset({"sh", "dash", "bash", "ash", "ksh", "mksh", "zsh"})
# …and those that also know `set -o pipefail` (dash 0.5.12, Debian's sh, does not).
PIPEFAIL_SHELLS = frozenset({"bash", "ksh", "mksh", "zsh"})


def errexit_prefix(template: str, shell: str) -> str:
    """What goes in front of a command written as `template` for `shell` ("" for none).

    Decided on the template as written, not the rendered command: a value holding a
    newline does not turn a one-line command into a script."""
    if "\n" not in template.strip():
        return ""
    name = os.path.basename(shell)
    if name not in POSIX_SHELLS:
        return ""
    return "set -eo pipefail; " if name in PIPEFAIL_SHELLS else "set -e; "
