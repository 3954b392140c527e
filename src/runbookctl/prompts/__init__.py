"""Asking a person, or reading the answer somewhere else.

Owns the Prompter protocol and the Answer it returns with its origin
(`protocol`), the terminal prompter built on questionary and the chain that
decides who may be asked (`terminal`: make_prompter fails closed without a
foreground terminal) and the answers file with --yes (`answers_file`; the
grammar is documented in docs/answers-file.md).

May import: runbookctl.runbook, runbookctl.safety and the base modules.
Independent of runbookctl.executors (same layer): neither imports the other.
Never imports check, record, engine, importers or cli (import-linter,
pyproject.toml [tool.importlinter]).
"""
