"""A shell from any prompt (#15.4): at a confirmation, a failure or a manual
check the operator can look around before answering — `!` (or the menu's
"open a shell…") opens their shell in the run's working folder, with the run's
environment, on a pseudo-terminal recorded as an interactive step is
(executors/pty_session.py: a masked `.cast` beside the logs). When it exits,
the same question is asked again; the journal's `shell` event puts it in the
timeline."""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

from runbookctl.executors.base import CommandSpec
from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.engine.walk import Engine
    from runbookctl.executors.base import HostResult
    from runbookctl.prompts.protocol import Prompter


def offer_shells(prompter: Prompter, engine: Engine) -> bool:
    """Let the person at the terminal open a shell at every question (False: there is
    no terminal, or the prompter offers none)."""
    from runbookctl.prompts.terminal import attach_shell

    return attach_shell(prompter, lambda key: open_shell(engine, key))


def open_shell(engine: Engine, key: str, stdin_fd: int = 0, stdout_fd: int = 1) -> HostResult:
    """Run the operator's shell until it exits; journal where, how long and the recording."""
    from runbookctl.executors.pty_session import run_interactive  # pty, termios, pyte: lazy

    shell = os.environ.get("SHELL") or "/bin/sh"
    where = key or "run"
    spec = CommandSpec(
        step_id=where, command=f"exec {shlex.quote(shell)} -i", display=f"{shell} -i",
        log_path=engine.resources.log_path(f"{where}.shell"), shell="/bin/sh",
        env={"RUNBOOKCTL_RUN_ID": str(engine.vars.run.get("id", "")),
             "RUNBOOKCTL_RUN_DIR": str(engine.sv.run_dir), "RUNBOOKCTL_STEP": where},
    )
    engine.sv.ui.info(f"a shell ({shell}) in {os.getcwd()}: exit it to come back to "
                            f"the question (recorded, secrets masked)")
    result = run_interactive(spec, engine.sv.redactor, stdin_fd, stdout_fd)
    engine.publish(ev.SHELL, key or None, actor=engine.opts.operator, shell=shell,
                   cwd=os.getcwd(), exit_code=result.exit_code,
                   duration=round(result.duration, 3), log=result.log_path,
                   cast=result.cast_path or "")
    engine.sv.ui.info(f"back from the shell (exit {result.exit_code}); recorded in "
                            f"{result.cast_path}")
    return result
