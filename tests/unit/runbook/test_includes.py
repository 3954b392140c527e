"""runbook/includes.py: the one include walker (books, steps with their keys, find a
key, find a cycle).

Before #13.4 six walks did this their own way: model.with_includes (each runbook
once by the name it was included by, no depth bound), engine/carried._flat and
check/answers._answerable (no de-duplication, cut at depth 20), check/validate's
cycle search, and resume's find_step (which loaded every include it passed, so one
unreadable include stopped the search even when a later one matched).
"""

from __future__ import annotations

import pytest

from runbookctl.runbook import includes
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import Runbook


def _book(rid: str, *steps: str) -> Runbook:
    body = "".join(f"  - {s}\n" for s in steps)
    return load_runbook_text(f"id: {rid}\ntitle: T\nsteps:\n{body}", f"{rid}.yaml")


PARENT = _book("parent", "{id: a, run: 'true'}", "{id: use-child, include: child}",
               "{id: use-missing, include: missing}", "{id: z, run: 'true'}")
CHILD = _book("child", "{id: b, run: 'true'}", "{id: use-leaf, include: leaf}")
LEAF = _book("leaf", "{id: c, run: 'true'}")
BOOKS = {"parent": PARENT, "child": CHILD, "leaf": LEAF}


def test_books_are_the_runbook_then_its_includes_each_once_in_step_order() -> None:
    twice = _book("twice", "{id: one, include: child}", "{id: two, include: child}",
                  "{id: three, include: leaf}")
    assert [b.id for b in includes.books(PARENT, BOOKS.get)] == ["parent", "child", "leaf"]
    assert [b.id for b in includes.books(twice, BOOKS.get)] == ["twice", "child", "leaf"]


def test_a_runbook_included_under_two_names_is_walked_once() -> None:
    """with_includes went by the include's text: `child` and `child.yaml` were two runbooks."""
    both = _book("both", "{id: one, include: child}", "{id: two, include: child.yaml}")
    resolve = {"child": CHILD, "child.yaml": CHILD, "leaf": LEAF}.get
    assert [b.id for b in includes.books(both, resolve)] == ["both", "child", "leaf"]


def test_steps_have_their_keys_their_runbook_and_what_an_include_includes() -> None:
    placed = list(includes.steps(PARENT, BOOKS.get))
    assert [(p.key, p.book.id) for p in placed] == [
        ("a", "parent"), ("use-child", "parent"), ("child/b", "child"),
        ("child/use-leaf", "child"), ("child/leaf/c", "leaf"), ("use-missing", "parent"),
        ("z", "parent")]
    by_key = {p.key: p for p in placed}
    assert by_key["use-child"].included is CHILD
    assert by_key["use-missing"].included is None
    assert by_key["child/leaf/c"].prefix == "child/leaf/"


def test_steps_of_some_steps_only() -> None:
    placed = includes.steps(PARENT, BOOKS.get, (PARENT.step("use-child"),))
    assert [p.key for p in placed] == ["use-child", "child/b", "child/use-leaf", "child/leaf/c"]


def test_a_cycle_stops_at_the_depth_bound() -> None:
    loop = _book("loop", "{id: x, run: 'true'}", "{id: again, include: loop}")
    keys = [p.key for p in includes.steps(loop, {"loop": loop}.get)]
    assert len(keys) == 2 * (includes.MAX_DEPTH + 1)
    assert keys[-1] == "loop/" * includes.MAX_DEPTH + "again"
    assert [b.id for b in includes.books(loop, {"loop": loop}.get)] == ["loop"]


def test_find_step_follows_the_key_through_includes() -> None:
    assert includes.find_step(PARENT, "child/leaf/c", BOOKS.get) == (LEAF, LEAF.step("c"))
    assert includes.find_step(PARENT, "z", BOOKS.get) == (PARENT, PARENT.step("z"))
    with pytest.raises(KeyError):
        includes.find_step(PARENT, "child/nope", BOOKS.get)


def test_find_step_passes_an_include_that_cannot_be_read() -> None:
    first_missing = _book("p", "{id: m, include: missing}", "{id: u, include: leaf}")
    assert includes.find_step(first_missing, "leaf/c", BOOKS.get) == (LEAF, LEAF.step("c"))


def test_cycle_is_the_path_back_to_the_root() -> None:
    a = _book("a", "{id: to-b, include: b}")
    b = _book("b", "{id: to-leaf, include: leaf}", "{id: to-a, include: a}")
    resolve = {"a": a, "b": b, "leaf": LEAF}.get
    assert includes.cycle("a", "b", resolve) == ["a", "b", "a"]
    assert includes.cycle("parent", "child", BOOKS.get) is None
    assert includes.cycle("parent", "missing", BOOKS.get) is None


# --- from test_model.py (#13.5), where with_includes lived ----------------------------

A = _book("a", "{id: one, run: echo 1, title: First}", "{id: in-b, include: b}",
          "{id: in-c, include: c}", "{id: again, include: b}")
B = _book("b", "{id: two, confirm: Sure?}", "{id: in-c, include: c}")
C = _book("c", "{id: three, manual: Look}", "{id: loop, include: a}")


def test_includes_are_walked_once_each_in_step_order_even_in_a_cycle() -> None:
    library = {"b": B, "c": C, "a": A}
    assert [rb.id for rb in includes.books(A, library.get)] == ["a", "b", "c"]
    assert [rb.id for rb in includes.books(A, lambda rid: None)] == ["a"]
