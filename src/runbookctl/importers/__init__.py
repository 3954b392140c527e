"""Writing runbooks: `runbookctl import` (Markdown playbook -> runbooks) and `new`.

Owns Markdown parsed into sections and blocks (`markdown`), code blocks read
(`code`), the blocks of a section turned into draft steps (`steps`), sessions
(`sessions`), conditions turned into confirmations (`conditions`), which
headings become runbooks and how (`playbook`), commands judged read-only
(`readonly`), placeholders turned into inputs (`placeholders`), the review
list of an import (`review`), front matter and severity (`meta`), runbook YAML
written as text that keeps its TODO comments (`yaml_text`) and the commented
runbook `runbookctl new` starts from (`scaffold`).

May import: runbookctl.check, runbookctl.record, runbookctl.prompts,
runbookctl.executors, runbookctl.runbook, runbookctl.safety and the base
modules (today it uses only runbook and errors). Independent of
runbookctl.engine (same layer); never imports cli (import-linter,
pyproject.toml [tool.importlinter]).
"""
