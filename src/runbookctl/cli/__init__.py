"""The command line: the top layer, the only one that knows typer and the terminal.

Owns the typer app and its options (`app`: parses flags, builds a Session and a
UI, imports each command's module inside the command so `--help` stays fast),
the one error handler mapping errors to exit codes and messages (`error_handler`),
the terminal view of a run (`terminal`: the UI that implements engine's Display
and record's Notices) and one module per command group in `commands`.

May import every package below it (engine, importers, check, record, prompts,
executors, runbook, safety, the base modules). Nothing imports runbookctl.cli
(import-linter, pyproject.toml [tool.importlinter]).
"""
