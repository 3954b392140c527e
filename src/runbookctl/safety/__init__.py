"""What keeps values from doing harm: templating, shell quoting, masking.

Owns the sandboxed Jinja2 environment and command rendering (`templating`),
where each `{{ value }}` lands as the shell reads it (the contexts in
`shell_contexts`, the scanner in `shell_scan` with its parts `shell_expansions`,
`shell_heredocs` and `shell_scan_state`, the meaning of command words in
`shell_words` and what commands do with them in `shell_commands`), quoting a value for that exact
context or refusing it (`quoting`), tracking values derived from a secret
(`derived`), the Redactor that masks secrets in text and streams (`masking`)
and the scanner for token-like strings nobody declared (`tokens`).

May import only the base modules (errors, positions, durations, signals,
outcomes):
it sits under runbook/ so that the format's checks and every stage above can
use it (import-linter, pyproject.toml [tool.importlinter]).
"""
