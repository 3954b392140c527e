"""The runbook format: what a runbook file says, read into frozen typed objects.

Owns the model (`model`: Runbook, Step, InputSpec, SecretSpec, Branch), YAML
parsed with a file:line:col for every node (`yaml_positions`), the typed field
readers (`readers`), the format's keys in one table (`schema`: the loader's key
tables and `runbookctl schema` both come from it), loading a file with every
structural problem reported at once (`loader`), finding runbooks and templates
on the search path (`registry`), the step graph and its Mermaid text (`graph`),
input values coerced by type (`values`), the config file (`config`) and host
specs and inventory.yaml (`inventory`). The format is documented in
docs/runbook-format.md.

May import: runbookctl.safety and the base modules (errors, positions,
durations, signals, outcomes). Imported by every package above it; never imports
check, record, prompts, executors, engine, importers or cli (import-linter,
pyproject.toml [tool.importlinter]).
"""
