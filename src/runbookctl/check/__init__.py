"""Checking before running: what `validate` reports, and what `run` refuses.

Owns the semantic checks of a loaded runbook — duplicate ids, jumps, unreachable
steps, loops with no way out, includes (`validate`) — the static check of every
template and expression (`templates`, pointing into them with `sources`),
where each value of a command lands and whether it may (`commands`), the check
of an answers file against a runbook (`answers`), and the Session every command
starts from: config, registry, loading checked runbooks (`workspace`).

May import: runbookctl.prompts, runbookctl.executors, runbookctl.runbook,
runbookctl.safety and the base modules. Independent of runbookctl.record (same
layer). Never imports engine, importers or cli (import-linter,
pyproject.toml [tool.importlinter]).
"""
