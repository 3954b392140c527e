"""A note added to a signed run after it ended (#14.3 with #14.5): the signature still
checks the events it covers, verify says plainly that the note is not covered (exit 0,
or 1 when the config requires signatures), and the rewritten report verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import only_run_dir, run_cli
from tests.integration.test_signed_records import config, run_counted, verify
from tests.signing_keys import allowed_signers, make_key, ssh_agent

pytestmark = pytest.mark.integration


def test_a_note_after_signing_is_named_unsigned_and_the_signature_still_checks(
        tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    signers = allowed_signers(tmp_path / "signers", alice)
    config(tmp_path, f"allowed_signers: {signers}\n")
    with ssh_agent(alice) as sock:
        assert run_counted(tmp_path, sock).code == 0
    noted = run_cli(["note", "--as", "bob", "root cause: the nightly vacuum"], cwd=tmp_path,
                    state=tmp_path / "state")
    assert noted.code == 0, noted.output
    assert "rebuilt" in noted.output  # the finished run's report now shows the note
    report = next((tmp_path / "reports").glob("*.md"))
    assert "root cause: the nightly vacuum" in report.read_text()

    verified = verify(tmp_path, report)
    assert verified.code == 0, verified.output
    assert "signed: events 1–21 by alice@example" in verified.stdout
    assert "not signed: events 22–23 (note) were written after the last signature" in (
        verified.stdout)
    assert "intact (hash chain verified; events 22–23 unsigned)" in verified.stdout
    assert "Traceback" not in verified.output

    config(tmp_path, f"allowed_signers: {signers}\nrequire_signatures: true\n")
    strict = verify(tmp_path, only_run_dir(tmp_path / "state"))
    assert strict.code == 1
    assert "NOT SIGNED:" in strict.stderr and "events 22–23 unsigned" in strict.stderr
