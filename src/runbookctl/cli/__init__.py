"""The command line: the top layer, the only one that knows typer and the terminal.

Owns the typer app and its global options (`app`), the commands declared one
module per group (`groups`: parse flags; each imports its body's module inside
the command so `--help` stays fast), the options run and weekly share
(`options`), the Session and UI a body is given (`invocation`),
the one error handler mapping errors to exit codes and messages (`error_handler`),
the terminal view of a run (`terminal`: the UI that implements engine's Display
and record's Notices) and the command bodies in `commands`.

May import every package below it (engine, importers, check, record, prompts,
executors, runbook, safety, the base modules). Nothing imports runbookctl.cli
(import-linter, pyproject.toml [tool.importlinter]).
"""
