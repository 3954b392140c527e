"""The runs `serve` and `watch` read when config `store:` is set: this state folder's
runs, then the team's other runs as mirrored from the store (store/mirror.py), kept
up to date live by a `store/mirror.py:Refresher` (LISTEN/NOTIFY). A mirrored run's
journal grows as the store receives its events, so following it is following a
local journal (web/follow.py reads either alike).

What a mirror cannot give: another machine's logs (the store holds the journal, not
the output files: a command's tail is in its `command_finished` event), and whether
its process is alive — a mirrored run is live while no ending is journaled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.web.runs_source import JOURNAL, NoSuchRun, RunsSource

if TYPE_CHECKING:
    from runbookctl.store.mirror import Refresher

ENDINGS = ("run_finished", "run_interrupted", "run_abandoned")


@dataclass(frozen=True)
class TeamRunsSource(RunsSource):
    """`root`'s runs first, then those mirrored under `mirror`."""

    mirror: Path = Path()
    refresher: Refresher | None = None

    def _team(self) -> RunsSource:
        return RunsSource(self.mirror)

    def run_dir(self, run_id: str) -> Path:
        try:
            return super().run_dir(run_id)
        except NoSuchRun:
            try:
                return self._team().run_dir(run_id)
            except NoSuchRun:
                raise NoSuchRun(f"no run '{run_id}' here nor in the store") from None

    def run_ids(self) -> list[str]:
        local = super().run_ids()
        return sorted(set(local) | set(self._team().run_ids()), reverse=True)

    def is_live(self, run_id: str) -> bool:
        folder = self.run_dir(run_id)
        if folder.parent != self.mirror:
            return super().is_live(run_id)
        from runbookctl.web.runs_source import read_events

        live = False
        for event in read_events(folder / JOURNAL, 0)[0]:  # a resume reopens an ended run
            if event.type in ("run_started", "run_resumed"):
                live = True
            elif event.type in ENDINGS:
                live = False
        return live

    def log_path(self, run_id: str, name: str) -> Path:
        if self.run_dir(run_id).parent == self.mirror:
            raise NoSuchRun(f"run {run_id} ran on another machine: its logs are there "
                            "(the store holds its journal, with each command's tail)")
        return super().log_path(run_id, name)
