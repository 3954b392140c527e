"""Shared set-up of a command: config, search path, registry, loading and
checking runbooks. Commands build one Session and ask it for what they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import Problem, ValidationError
from runbookctl.runbook import config as cfg
from runbookctl.runbook.registry import Registry

if TYPE_CHECKING:
    from runbookctl.runbook.model import Runbook


@dataclass
class Session:
    config: cfg.Config
    registry: Registry

    @classmethod
    def create(cls, runbook_dirs: list[Path] | None, config_file: Path | None) -> Session:
        config = cfg.load_config(config_file)
        dirs = cfg.runbook_dirs(runbook_dirs or [], config)
        return cls(config, Registry(dirs, cfg.template_dirs(dirs, config)))

    def check(self, rb: Runbook) -> list[Problem]:
        """Semantic problems (errors and warnings) of a loaded runbook."""
        from runbookctl.check.validate import check_runbook

        text = Path(rb.path).read_text(encoding="utf-8")
        return check_runbook(rb, text, resolve_runbook=self.registry.try_load,
                             template_source=self.registry.template_source,
                             known_runbooks=list(self.registry.ids()),
                             webhooks=[hook.name for hook in self.config.notify])

    def load_checked(self, name: str) -> tuple[Runbook, list[Problem]]:
        """Load and check a runbook; errors raise ValidationError, warnings are returned."""
        rb = self.registry.load(name)
        problems = self.check(rb)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ValidationError(errors)
        return rb, [p for p in problems if p.severity != "error"]

    def template_source(self, name: str) -> str | None:
        return self.registry.template_source(name)
