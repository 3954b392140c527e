"""The options `run` and `weekly` share (cli/options.py) and the request they make."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from runbookctl.cli.options import RUN_OPTIONS, run_request
from runbookctl.engine.request import RunRequest


def test_every_shared_option_is_a_field_of_the_request() -> None:
    fields = {f.name for f in dataclasses.fields(RunRequest)}
    assert set(RUN_OPTIONS) - {"var"} | {"runbook", "variables"} == fields


def test_unset_repeatable_options_become_empty_lists() -> None:
    params = dict.fromkeys(RUN_OPTIONS, None) | {"yes": False, "no_input": False,
                                                 "dry_run": False, "commit": False}
    assert run_request("rb", params) == RunRequest(runbook="rb")


def test_given_options_are_kept_as_given() -> None:
    params = dict.fromkeys(RUN_OPTIONS) | {"var": ["a=1"], "hosts": ["web=h1"], "yes": True,
                                           "report_dir": Path("r"), "unrelated": 1}
    req = run_request("rb", params)
    assert (req.variables, req.hosts, req.yes, req.report_dir) == (["a=1"], ["web=h1"], True,
                                                                     Path("r"))
