"""SSH commands over paramiko (not fabric: client.py's docstring says why).

Owns the executor that runs one command on many hosts at once (`client`), one
command on one host (`host_run`) and the sh lines it sends (`remote_shell`),
connections with host keys checked against known_hosts, ProxyJump and the
per-run pool (`connections`), why a host could not be reached in words
(`reasons`), the config file's `ssh:` settings as the executor uses them
(`settings`) and where a host spec leads through ~/.ssh/config (`targets`).

`host_run` and `connections` import paramiko; nothing loads them until a run
first needs its SSH executor, and `targets` stays free of it at import time
(the CLI resolves hosts before any connection is made). Same imports as its
parent, runbookctl.executors: runbook, safety and the base modules only.
"""
