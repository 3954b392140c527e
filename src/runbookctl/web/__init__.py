"""The war room's web side: `runbookctl serve` (pages, JSON API, server-sent events)
and the read side `watch` shares with it.

Owns where runs are read from (`runs_source`, the one module another store plugs
into), following a run as it is written (`follow`), what is shown of a run
(`present`: masked as journaled, escapes made visible), who may do what (`guard`),
and the Starlette app (`app`, `pages`, `sse`, templates/ and static/). Starlette,
uvicorn and sse-starlette are imported only by `app`, `pages` and `sse`, which only
`serve` loads. Documented in docs/serve.md.

May import: runbookctl.check, runbookctl.record, runbookctl.runbook,
runbookctl.safety and the base modules. Never imports cli (cli imports it) nor the
engine (import-linter, pyproject.toml [tool.importlinter]).
"""
