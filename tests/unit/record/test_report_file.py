"""Where a run's report goes: the folder checked before the run begins, the report the
run remembers writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import UsageError
from runbookctl.record.report_file import RECORD, check_folder, recorded


def test_a_folder_to_be_made_is_checked_at_the_nearest_one_that_exists(tmp_path: Path) -> None:
    assert check_folder(tmp_path / "reports" / "weekly", "--report-dir") == tmp_path
    assert not (tmp_path / "reports").exists()  # checked, not made
    assert list(tmp_path.iterdir()) == []  # the probe left nothing behind
    (tmp_path / "reports").mkdir()
    assert check_folder(tmp_path / "reports", "--report-dir") == tmp_path / "reports"


def test_a_file_where_the_folder_goes_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "notadir").write_text("")
    with pytest.raises(UsageError) as err:
        check_folder(tmp_path / "notadir", "--report-dir")
    assert err.value.message == (f"--report-dir {tmp_path}/notadir: is not a folder; the report "
                                 "could not be written there")
    with pytest.raises(UsageError) as err:
        check_folder(tmp_path / "notadir" / "sub", "reports_dir (runbookctl.yaml)")
    assert err.value.message == (f"reports_dir (runbookctl.yaml) {tmp_path}/notadir/sub: cannot "
                                 f"be made: {tmp_path}/notadir is not a folder; the report could "
                                 "not be written there")


def test_a_folder_that_cannot_be_written_is_refused() -> None:
    with pytest.raises(UsageError) as err:
        check_folder(Path("/proc/reports"), "--report-dir")
    assert err.value.message == ("--report-dir /proc/reports: cannot write to /proc: No such "
                                 "file or directory; the report could not be written there")


def test_the_report_a_run_wrote_is_remembered_in_its_folder(tmp_path: Path) -> None:
    assert recorded(tmp_path) is None
    (tmp_path / RECORD).write_text("/reports/x.md\n")
    assert recorded(tmp_path) == Path("/reports/x.md")
