"""executors/ssh/__init__.py: the stand-in that keeps paramiko from importing invoke
until a name of it is read — then it is the real module, once, on any thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbookctl.executors.ssh import _Deferred


class _StandIn(_Deferred):
    _module = "rbctl_fake_mod"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path / "rbctl_fake_mod.py"
    sys.modules.pop("rbctl_fake_mod", None)


def test_the_first_name_read_loads_the_module_once_for_every_thread(fake: Path) -> None:
    loads = fake.parent / "loads.txt"
    fake.write_text(f"open({str(loads)!r}, 'a').write('loaded\\n')\n"
                    "def run():\n    return 'ran'\n")
    stand_in = _StandIn("rbctl_fake_mod")
    sys.modules["rbctl_fake_mod"] = stand_in
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(stand_in.run())) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert got == ["ran"] * 16
    assert sys.modules["rbctl_fake_mod"] is not stand_in
    assert loads.read_text() == "loaded\n"


def test_a_missing_entry_loads_it_and_a_blocked_one_is_refused(fake: Path) -> None:
    fake.write_text("VALUE = 7\n")
    stand_in = _StandIn("rbctl_fake_mod")
    assert stand_in.VALUE == 7  # never put in sys.modules: imported all the same
    sys.modules["rbctl_fake_mod"] = None  # type: ignore[assignment]
    with pytest.raises(ImportError, match="halted"):
        _StandIn("rbctl_fake_mod").VALUE  # noqa: B018


def test_an_attribute_error_while_importing_is_an_import_error(fake: Path) -> None:
    fake.write_text("import os\nos.no_such_thing\n")
    stand_in = _StandIn("rbctl_fake_mod")
    sys.modules["rbctl_fake_mod"] = stand_in
    with pytest.raises(ImportError, match="no_such_thing"):
        stand_in.run  # noqa: B018
    assert sys.modules["rbctl_fake_mod"] is stand_in  # left to try again
