"""A step on many hosts on the terminal (cli/gathered.py): outputs kept per host,
identical ones shown once under their folded hosts, and a summary with failed
hosts first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runbookctl.cli.gathered import KEEP_BYTES, Gathered, summary_lines
from runbookctl.executors.base import HostResult
from runbookctl.hostsets import expand


def _gather(outputs: dict[str, list[str]]) -> Gathered:
    gathered = Gathered(list(outputs))
    for host, chunks in outputs.items():
        for chunk in chunks:
            gathered.add(host, chunk)
    return gathered


def test_identical_outputs_are_shown_once_under_their_hosts() -> None:
    outputs = {f"web{i:03d}": ["up 3 days\n"] for i in range(1, 121)}
    outputs["web121"] = ["up 1 ", "min\n"]  # in two chunks: the same once joined
    outputs["web122"] = ["disk full\n"]
    blocks = _gather(outputs).blocks()
    assert blocks[0] == ("web[001-120] (120 hosts)", b"    up 3 days\n")
    assert [header for header, _ in blocks] == ["web[001-120] (120 hosts)", "web121 (1 host)",
                                                "web122 (1 host)"]
    assert blocks[1][1] == b"    up 1 min\n"


def test_a_host_without_output_says_so() -> None:
    blocks = _gather({"a1": [], "a2": []}).blocks()
    assert blocks == [("a[1-2] (2 hosts)", b"    (no output)\n")]


def test_a_flood_is_cut_and_says_where_the_rest_is() -> None:
    gathered = _gather({"big1": ["x" * 1000 + "\n"] * 100})
    (_header, body), = gathered.blocks()
    assert len(body) < KEEP_BYTES + 4 * 70 + 100  # 66 lines, each indented
    assert body.endswith(b"[output cut at 64 KiB here; the host's log has it all]\n")


@given(st.dictionaries(st.integers(1, 300).map(lambda n: f"h{n}"),
                       st.lists(st.sampled_from(["a\n", "b", "c\nd\n", ""]), max_size=3),
                       min_size=1, max_size=40))
def test_every_hosts_output_can_be_read_back_from_the_blocks(outputs: dict[str, list[str]]
                                                            ) -> None:
    blocks = _gather(outputs).blocks()
    seen = {host: body for header, body in blocks for host in expand(header.rsplit(" (", 1)[0])}
    assert sorted(seen) == sorted(outputs)
    for host, chunks in outputs.items():
        text = "".join(chunks)
        want = ("    " + text.rstrip("\n").replace("\n", "\n    ") + "\n") if text else \
            "    (no output)\n"
        assert seen[host].decode() == want


def _result(host: str, code: int | None, duration: float = 0.2, **kw: object) -> HostResult:
    return HostResult(host=host, exit_code=code, duration=duration, **kw)  # type: ignore[arg-type]


def test_the_summary_names_failed_hosts_first_and_folds_the_rest() -> None:
    results = [_result(f"web{i}", 0, 0.2 + i / 100) for i in range(1, 9)]
    results.insert(3, _result("web9", 3, 1.5))
    results.append(_result("web10", None, 5.0, error="connection refused"))
    assert summary_lines(results) == [
        (False, "10 hosts: 8 ok, 2 failed"),
        (False, "web9: exit 3 · 1.5s"),
        (False, "web10: connection refused · 5.0s"),
        (True, "exit 0: web[1-8] (8 hosts) · 0.2s–0.3s"),
    ]


def test_all_ok_is_one_headcount_and_one_line() -> None:
    results = [_result(f"n{i}", 0) for i in range(6)]
    assert summary_lines(results) == [(True, "6 hosts: 6 ok"),
                                      (True, "exit 0: n[0-5] (6 hosts) · 0.2s")]
