"""Running a runbook: building a run, walking its step graph, running its steps.

Owns what a run was asked for (`request`: RunRequest, run id, operator),
building a run — prompter, inputs, secrets, masking, run dir, journal (`planning`),
the values `run --from` must be given (`carried`), the walk of the step graph
with `when`, `next`, `on_no`, `on_failure` and includes (`walk`: the Engine),
command steps with retries, polling, expect and capture (`command_step`), human
steps (`human_step`), which hosts an ssh step runs on (`hosts`) and the Display
protocol the terminal implements (`display`).

May import: runbookctl.check, runbookctl.record, runbookctl.prompts,
runbookctl.executors, runbookctl.runbook, runbookctl.safety and the base
modules. Independent of runbookctl.importers (same layer); never imports cli
(import-linter, pyproject.toml [tool.importlinter]).
"""
