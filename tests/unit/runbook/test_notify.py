"""runbook/notify.py: the `notify:` list as written in the config and the runbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbookctl.errors import ValidationError
from runbookctl.runbook.config import load_config
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.notify import EVENTS, Webhook, merged, read_webhooks


def test_a_webhook_with_defaults_and_one_with_everything() -> None:
    hooks = read_webhooks([{"name": "tools", "url": "https://t/x"},
                           {"name": "channel", "url": "{{ secrets.SLACK_URL }}",
                            "format": "slack", "on": ["run_finished", "approval_needed"]}])
    assert hooks == (Webhook("tools", "https://t/x", "json", EVENTS),
                     Webhook("channel", "{{ secrets.SLACK_URL }}", "slack",
                             ("run_finished", "approval_needed")))


@pytest.mark.parametrize(("value", "why"), [
    ({"name": "x"}, "must be a list"),
    (["x"], "entry 1: must be a map"),
    ([{"name": "x", "url": "u", "colour": 1}], "entry 1: unknown key 'colour'"),
    ([{"name": "has space", "url": "u"}], "entry 1: name:"),
    ([{"name": "x"}], "entry 1: url: give the webhook's URL"),
    ([{"name": "x", "url": "u", "format": "teams"}], "entry 1: format: must be slack or json"),
    ([{"name": "x", "url": "u", "on": ["deploy"]}], "entry 1: on: a list of run_started"),
    ([{"name": "x", "url": "u"}, {"name": "x", "url": "v"}], "the name 'x' is used twice"),
])
def test_what_is_wrong_is_said(value: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        read_webhooks(value)


def test_the_runbooks_webhook_wins_a_name_the_config_also_uses() -> None:
    config = (Webhook("channel", "a"), Webhook("pager", "b"))
    runbook = (Webhook("channel", "c"),)
    assert merged(config, runbook) == (Webhook("pager", "b"), Webhook("channel", "c"))


def test_yaml_reads_a_bare_on_key_as_true_and_it_still_means_on(tmp_path: Path) -> None:
    path = tmp_path / "runbookctl.yaml"
    path.write_text("notify:\n  - name: ch\n    url: https://h/x\n    on: [reminder]\n")
    assert load_config(path).notify == (Webhook("ch", "https://h/x", "json", ("reminder",)),)
    rb = load_runbook_text("title: T\nnotify:\n  - {name: ch, url: 'https://h', on: [reminder]}\n"
                           "steps:\n  - {id: say, message: hi, post: ch}\n", "t.yaml")
    assert rb.notify[0].on == ("reminder",) and rb.steps[0].post == "ch"


def test_a_bad_notify_is_a_problem_at_its_place() -> None:
    with pytest.raises(ValidationError) as caught:
        load_runbook_text("title: T\nnotify:\n  - {name: ch}\nsteps:\n  - {id: a, run: x}\n",
                          "t.yaml")
    problem = caught.value.problems[0]
    assert problem.pos.line == 3 and "notify: entry 1: url:" in problem.message
