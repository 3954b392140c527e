"""Token-like strings nobody declared, printed by steps (whole and split across
writes, locally and over ssh), are masked in the terminal, the step logs, the journal,
the report and the --commit copies, with a warning naming the step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.secret_search import git_repo, texts_of
from tests.sshd import Fleet
from tests.unit.safety.test_tokens import LEAKS, PEM, TOKENS

pytestmark = pytest.mark.integration


def _steps(folder: Path, action: str, extra: str = "") -> str:
    """A step per token; the token is read from a file, so the command shows none of it."""
    steps = []
    for i, token in enumerate([*TOKENS, PEM]):
        path = folder / f"t{i}.txt"
        path.write_text(token)
        half = len(token) // 2
        # two writes, the token cut in the middle; then all of it again on stderr
        steps.append(f"  - id: t{i}\n    {action}: |\n"
                     f"      printf 'found '; head -c {half} {path}\n"
                     f"      tail -c +{half + 1} {path}; echo ' in the logs'\n"
                     f"      cat {path} >&2\n{extra}")
    return "".join(steps)


def _run_and_search(tmp_path: Path, runbook: str) -> str:
    (tmp_path / "tokens.yaml").write_text(f"id: tokens\ntitle: Tokens\nsteps:\n{runbook}")
    repo = git_repo(tmp_path)
    result = run_cli(["run", str(tmp_path / "tokens.yaml"), "--no-input", "--report-dir",
                      str(repo / "incidents"), "--commit"], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    texts = texts_of([tmp_path / "state", repo], result.output, repo)
    found = [f"{leak!r} in {where}" for leak in LEAKS for where, text in texts.items()
             if leak in text]
    assert found == []
    report = next((repo / "incidents").glob("*.md"))
    verified = run_cli(["verify", str(report)], cwd=tmp_path, state=tmp_path / "state")
    assert verified.code == 0, verified.output
    return result.output


def test_undeclared_tokens_are_masked_in_every_record(tmp_path: Path) -> None:
    out = _run_and_search(tmp_path, _steps(tmp_path, "run"))
    assert "found *** in the logs" in out
    for i, kind in enumerate(["Stripe key", "Stripe key", "Stripe webhook secret",
                              "AWS access key", "GitHub token", "GitHub token", "Slack token",
                              "JWT", "password in URL", "password in URL", "AWS secret key",
                              "private key"]):
        assert f"masked a token-like string that is not a declared secret: {kind} in step t{i}" \
            in out, (kind, i)


def test_undeclared_tokens_over_ssh(tmp_path: Path, sshd_fleet: Fleet) -> None:
    (server,) = sshd_fleet.hosts(1)
    (tmp_path / "runbookctl.yaml").write_text(
        f"ssh:\n  identity_file: {sshd_fleet.client_key}\n  known_hosts: {sshd_fleet.known_hosts}\n"
        f"  config_file: {sshd_fleet.root / 'no-ssh-config'}\n  connect_timeout: 5s\n")
    # the sshd runs on this machine: the remote user reads the files from its scratch folder
    steps = _steps(sshd_fleet.scratch(), "ssh", f"    hosts: [{server.spec}]\n")
    out = _run_and_search(tmp_path, steps)
    assert "masked a token-like string that is not a declared secret: Stripe key in step t0" in out
