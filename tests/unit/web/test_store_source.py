"""web/store_source.py: this state folder's runs, then the team's mirrored ones; a mirrored
run is live until an ending is journaled, and its logs are not served here."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.web.runs_source import NoSuchRun
from runbookctl.web.store_source import TeamRunsSource
from tests.unit.web.runs import RUN, append, ended, step, write_run

OTHER = "20261201T130000Z-db-beef"


def test_local_runs_come_first_and_the_teams_are_found_too(tmp_path: Path) -> None:
    local, mirror = tmp_path / "runs", tmp_path / "mirror"
    write_run(local, ended())
    write_run(mirror, ended(), run_id=RUN)  # also here: the local one wins
    theirs = write_run(mirror, step("a"), run_id=OTHER)
    source = TeamRunsSource(local, mirror)
    assert source.run_ids() == [OTHER, RUN]
    assert source.run_dir(RUN) == local / RUN
    assert source.run_dir(OTHER) == theirs
    with pytest.raises(NoSuchRun, match="nor in the store"):
        source.run_dir("20261201T000000Z-db-0000")
    with pytest.raises(NoSuchRun):
        source.run_dir("../runs")
    assert [s.run_id for s in source.list_runs()] == [OTHER, RUN]  # running first


def test_a_mirrored_run_is_live_until_it_ends_and_its_logs_stay_on_its_machine(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    theirs = write_run(mirror, step("a"), run_id=OTHER)
    source = TeamRunsSource(tmp_path / "runs", mirror)
    assert source.is_live(OTHER)
    append(theirs, ended())
    assert not source.is_live(OTHER)
    with pytest.raises(NoSuchRun, match="ran on another machine"):
        source.log_path(OTHER, "0001-a.log")
