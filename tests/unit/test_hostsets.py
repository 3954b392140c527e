"""Host names folded into ranges and outputs grouped (hostsets.py): what the
terminal and the report show for a step on many hosts. Properties: folding then
expanding gives back every name; grouping then ungrouping every host's output."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runbookctl.hostsets import (
    GROUP_ABOVE,
    expand,
    failures_first,
    fold,
    group_by,
    grouped,
    ungroup,
)


def test_a_numbered_fleet_folds_into_one_bracket_keeping_its_padding() -> None:
    hosts = [f"web{i:03d}" for i in range(1, 121)]
    assert fold(hosts) == "web[001-120]"


def test_gaps_and_other_families_make_more_spans() -> None:
    hosts = ["web1", "web2", "web3", "web7", "db-2.corp", "db-1.corp", "bastion"]
    assert fold(hosts) == "bastion, db-[1-2].corp, web[1-3,7]"


def test_loopback_ports_fold_on_the_port() -> None:
    hosts = [f"rbtest@127.0.0.1:{40000 + i}" for i in range(200)]
    assert fold(hosts) == "rbtest@127.0.0.1:[40000-40199]"


def test_padding_that_differs_never_shares_a_span() -> None:
    assert fold(["n09", "n10", "n9"]) == "n[9,09-10]"
    assert sorted(expand(fold(["n09", "n10", "n9"]))) == ["n09", "n10", "n9"]
    assert fold(["n9", "n10"]) == "n[9-10]"


def test_names_with_brackets_or_commas_are_listed_as_they_are() -> None:
    assert fold(["root@[::1]:22", "root@[::1]:23"]) == "root@[::1]:22, root@[::1]:23"


def test_a_single_host_is_its_name() -> None:
    assert fold(["web01"]) == "web01"
    assert expand("web01") == ["web01"]


def test_grouping_starts_above_the_threshold() -> None:
    assert not grouped(GROUP_ABOVE)
    assert grouped(GROUP_ABOVE + 1)


def test_identical_outputs_form_one_group_the_largest_first() -> None:
    items = [("a1", "x"), ("a2", "y"), ("a3", "y"), ("a4", "x"), ("a5", "y")]
    groups = group_by(items)
    assert [(g.key, g.hosts) for g in groups] == [("y", ("a2", "a3", "a5")), ("x", ("a1", "a4"))]
    assert groups[0].folded == "a[2-3,5]"


def test_failures_come_first_in_their_order() -> None:
    assert failures_first([1, 2, 3, 4, 5], lambda n: n % 2 == 0) == [2, 4, 1, 3, 5]


_names = st.from_regex(r"[a-z]{1,3}(-[a-z]{1,2})?[0-9]{0,4}(\.[a-z]{1,3})?", fullmatch=True)


@given(st.lists(_names, max_size=60))
def test_fold_then_expand_gives_back_every_name(hosts: list[str]) -> None:
    assert sorted(expand(fold(hosts))) == sorted(set(hosts))


@given(st.dictionaries(_names, st.sampled_from(["", "ok\n", "load 0.1\n", "error\n"]),
                       max_size=60))
def test_grouping_then_ungrouping_gives_back_every_hosts_output(outputs: dict[str, str]) -> None:
    groups = group_by(list(outputs.items()))
    assert ungroup(groups) == outputs
    assert len({g.key for g in groups}) == len(groups)  # each output once
    assert all(sorted(expand(g.folded)) == sorted(g.hosts) for g in groups)
