"""The report template is compiled once and kept in the user's cache; a changed
template is never served stale, and a cache others can write to is not used."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.record.report import render_report
from runbookctl.record.run_state import RunState

STATE = RunState(run_id="r1", runbook="db-overload", title="DB overload")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNBOOKCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "jinja"


def test_the_compiled_template_is_cached_and_a_changed_one_recompiled(cache: Path) -> None:
    assert render_report(STATE, "# {{ run.title }} ({{ version }})\n", "9.9") == "# DB overload (9.9)\n"
    (entry,) = cache.iterdir()
    first = entry.read_bytes()
    assert render_report(STATE, "# {{ run.title }} ({{ version }})\n", "9.9") == "# DB overload (9.9)\n"
    assert entry.read_bytes() == first  # loaded, not rewritten
    assert render_report(STATE, "changed: {{ run.runbook }}\n", "9.9") == "changed: db-overload\n"
    assert entry.read_bytes() != first


def test_a_cache_others_can_write_to_is_not_used(cache: Path) -> None:
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    assert render_report(STATE, "{{ run.run_id }}\n", "9.9") == "r1\n"
    assert list(cache.iterdir()) == []


def test_an_unusable_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("RUNBOOKCTL_CACHE_DIR", str(tmp_path / "file"))
    assert render_report(STATE, "{{ run.run_id }}\n", "9.9") == "r1\n"


def test_a_teams_template_is_sandboxed_and_the_bundled_one_is_not() -> None:
    """A team's report.md.j2 may not reach Python's internals; runbookctl's own template
    is its code, rendered without the sandbox's per-attribute checks (record/report.py)."""
    from jinja2.exceptions import SecurityError

    probe = "{{ run.__class__.__init__.__globals__ | length > 0 }}\n"
    with pytest.raises(SecurityError):
        render_report(STATE, probe, "9.9")
    assert render_report(STATE, probe, "9.9", bundled=True) == "True\n"


def test_sandboxed_and_bundled_compilations_are_cached_apart(cache: Path) -> None:
    """Code compiled for the sandbox calls checks a plain environment lacks (and the
    reverse would skip them): one source, one version, two cache entries."""
    source = "{{ run.title | upper }} {{ run.runbook.split('-') | join('+') }}\n"
    for bundled in (False, True, False, True):
        assert render_report(STATE, source, "9.9", bundled=bundled) == "DB OVERLOAD db+overload\n"
    assert len(list(cache.iterdir())) == 2
