"""The review list of an import (issue 16.5): what became what, with line numbers, and every
place a person should check."""

from __future__ import annotations

import textwrap

from runbookctl.importers.playbook import import_markdown
from runbookctl.importers.review import checks, figures, render_review

PLAYBOOK = textwrap.dedent("""\
    # Restart the API

    WARNING: restarting drops open connections.

    ```bash
    kubectl -n <namespace> rollout restart deploy/api
    ```

    For example, on the last incident:

    ```bash
    sudo netstat -tp | grep 42792
    ```

    ```bash
    kubectl exec -it <pod> -- sh
    ls /data
    ```

    If the pods do not come back, roll back:

    ```bash
    kubectl -n <namespace> rollout undo deploy/api
    ```
""")


def test_every_place_to_check_is_listed_with_its_line() -> None:
    (rb,) = import_markdown(PLAYBOOK, "api.md")
    found = {(c.kind, c.line) for c in checks(rb)}
    assert {("dangerous", 5), ("example", 11), ("session", 15), ("input", 5),
            ("condition", 20), ("dangerous", 22)} <= found
    condition = next(c for c in checks(rb) if c.kind == "condition")
    assert "The pods do not come back?" in condition.text and "a no skips" in condition.text
    assert [c.line for c in checks(rb)] == sorted(c.line for c in checks(rb))


def test_the_listing_says_what_became_what_and_the_figures_match() -> None:
    (rb,) = import_markdown(PLAYBOOK, "api.md")
    text = render_review([("api.md", rb)])
    n = figures(rb)
    assert (n["dangerous"], n["inputs"], n["conditions"]) == (3, 2, 1)
    assert "## api.md -> runbook `restart-the-api`" in text
    assert "- line 3: message `warning` — Warning" in text
    assert "- line 15: run `" in text and "(dangerous, interactive)" in text
    assert f"{n['review']} places to check." in text
