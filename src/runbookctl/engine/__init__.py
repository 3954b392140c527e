"""Running a runbook: building a run, walking its step graph, running its steps.

Owns what a run was asked for (`request`: RunRequest, run id, operator),
building a run — prompter, inputs, secrets, masking, run dir, journal, event
stream (`planning`), the values `run --from` must be given (`carried`), the walk
of the step graph with `when`, `next` and includes (`walk`: the Engine), what a
run is made of and what one step runner gets (`context`: Services, Options,
RunVars, a StepContext, never the Engine), the decisions about a step — the
confirm gate and `on_no`, `on_failure`, what a decision makes of the step
(`gates`), command steps with retries, polling, expect and capture
(`command_step`), human steps (`human_step`), the event stream every run event
goes through, the journal first and then its subscribers (`stream`), resume:
replay, plan, walk (`resume`), which hosts an ssh step runs on (`hosts`) and the
Display protocol the terminal implements (`display`). Outcomes are typed in the
base module runbookctl.outcomes.

May import: runbookctl.check, runbookctl.record, runbookctl.prompts,
runbookctl.executors, runbookctl.runbook, runbookctl.safety and the base
modules. Independent of runbookctl.importers (same layer); never imports cli
(import-linter, pyproject.toml [tool.importlinter]).
"""
