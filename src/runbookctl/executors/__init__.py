"""Running commands: the executor seam and its local and SSH implementations.

Owns the seam (`base`: CommandSpec in, one HostResult per host out; the
OutputSink and Masker protocols), local commands in their own process group
(`local`), where a command's output goes — masked log file, bounded capture,
tail, live display (`output`) — and process groups found again after a crash
(`procs`). SSH lives in the `ssh` subpackage.

May import: runbookctl.runbook, runbookctl.safety and the base modules.
Independent of runbookctl.prompts (same layer). Knows nothing of the engine,
the journal or the terminal: it is handed a sink and a masker (import-linter,
pyproject.toml [tool.importlinter]).
"""
