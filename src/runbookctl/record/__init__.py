"""The record of a run: its journal, the state replayed from it, its report.

Owns the event types and the Recorder that masks every string before it is
journaled (`events`), the append-only, fsynced, hash-chained journal (`journal`),
the fold of a journal into a RunState (`replay`, the state in `run_state`, each
event's data checked by `event_data`), the Markdown report
(`report`, written by `writeup`, placed and named by `report_file`), `--commit`
(`commit`), one writer per run (`lock`) and the Notices protocol by which
record/ talks to a person without importing the CLI (`notices`). The formats are
documented in docs/record.md.

May import: runbookctl.prompts, runbookctl.executors, runbookctl.runbook,
runbookctl.safety and the base modules. Independent of runbookctl.check (same
layer). Never imports engine, importers or cli (import-linter,
pyproject.toml [tool.importlinter]).
"""
