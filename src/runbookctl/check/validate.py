"""Semantic checks of a loaded runbook: duplicate step ids, jumps to missing
steps, unreachable steps, loops with no way out, includes (unknown runbooks,
cycles) and every template and expression (templates.py). Also the answers-file
check (answers.py), re-exported here.

A loop "has a way out" when some step in it can go to a step outside it or to
the end. Aborting (a failed step, a 'no' with on_no: abort) does not count: a
loop that only ends by failing is a mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.check.answers import check_answers_file
from runbookctl.check.templates import Scope, check_sources
from runbookctl.errors import Problem
from runbookctl.positions import Pos
from runbookctl.runbook import includes
from runbookctl.runbook.graph import edges
from runbookctl.runbook.model import END, Runbook, Step
from runbookctl.runbook.readers import did_you_mean
from runbookctl.runbook.schema import ON_FAILURE_WORDS, ON_NO_WORDS
from runbookctl.runbook.yaml_positions import problem

if TYPE_CHECKING:
    Resolve = Callable[[str], Runbook | None]

__all__ = ["check_answers_file", "check_runbook", "scope_of"]


def check_runbook(rb: Runbook, text: str, *, resolve_runbook: Callable[[str], Runbook | None],
                  template_source: Callable[[str], str | None],
                  known_runbooks: Collection[str] = (),
                  webhooks: Collection[str] | None = None,
                  checked: dict[str, list[Problem]] | None = None) -> list[Problem]:
    """Every semantic problem (errors and warnings) of `rb`, whose source is `text`.

    `known_runbooks` (ids on the search path) only improves include messages.
    `webhooks`: the config's `notify:` names (None: not known, `post:` is not checked).
    `checked`: the included runbooks checked so far, by id (each once however many
    ways include it: a chain of double includes was exponential).
    """
    memo: dict[str, list[Problem]] = {} if checked is None else checked

    def check_included(book: Runbook) -> list[Problem]:
        if book.id not in memo:
            memo[book.id] = check_runbook(
                book, _source(book), resolve_runbook=resolve_runbook,
                template_source=template_source, known_runbooks=known_runbooks,
                webhooks=webhooks, checked=memo)
        return memo[book.id]

    out = [*_duplicates(rb, text), *_jumps(rb, text)]
    if webhooks is not None:
        out += _posts(rb, text, {*webhooks, *(hook.name for hook in rb.notify)})
    if not out:
        # A misspelt jump would also make its intended target "unreachable": fix jumps first.
        out += _flow(rb, text)
    out += _includes(rb, text, resolve_runbook, known_runbooks, check_included)
    out += _include_secrets(rb, resolve_runbook)
    out += check_sources(rb, text, scope_of(rb, resolve_runbook), template_source)
    return sorted(out, key=lambda p: (p.pos.line, p.pos.col, p.message))


def scope_of(rb: Runbook, resolve_runbook: Callable[[str], Runbook | None]) -> Scope:
    """The names templates of `rb` may use: inputs, secrets, captures and answers of
    `rb` and of the runbooks it includes, and the step ids `steps.<id>` may name."""
    names: set[str] = set()
    step_keys: set[str] = set()
    integers: set[str] = set()
    texts: set[str] = set()
    for book in includes.books(rb, resolve_runbook):
        integers |= {spec.name for spec in book.inputs if spec.type == "int"}
        texts |= {s.capture for s in book.steps if s.capture} | {s.var for s in book.steps if s.var}
        names |= {spec.name for spec in book.inputs} | {s.name for s in book.secrets}
        step_keys |= {s.id for s in book.steps} | {s.id.replace("-", "_") for s in book.steps}
    # A capture or answer of the same name may hold text: only such inputs are integers.
    return Scope(frozenset(names | texts), frozenset(step_keys), frozenset(integers - texts))


def _kp(rb: Runbook, step: Step) -> str:
    """`steps[N]` of `step` (by identity: two steps may be equal field for field)."""
    index = next(i for i, s in enumerate(rb.steps) if s is step)
    return f"steps[{index}]"


def _duplicates(rb: Runbook, text: str) -> list[Problem]:
    first: dict[str, Step] = {}
    out = []
    for index, step in enumerate(rb.steps):
        if step.id in first:
            where = first[step.id].value_pos.get("id", first[step.id].pos)
            out.append(problem(text, step.value_pos.get("id", step.pos),
                               f"duplicate step id '{step.id}' (first used at line {where.line}, "
                               f"column {where.col})", f"steps[{index}].id"))
        else:
            first[step.id] = step
    return out


def _jumps(rb: Runbook, text: str) -> list[Problem]:
    """Every next / on_failure / on_no / on_approval_timeout naming a step that does not exist."""
    ids = set(rb.step_ids)
    out = []
    for index, step in enumerate(rb.steps):
        kp = f"steps[{index}]"
        for rel, target, words in _targets(step):
            if target in ids or target in words:
                continue
            pos = step.value_pos.get(rel, step.at(rel.split("[")[0]))
            hint = did_you_mean(target, [*rb.step_ids, *words])
            also = "" if hint else f"; use a step id or {', '.join(words)}"
            out.append(problem(text, pos, f"{rel.split('[')[0]}: no step '{target}' in this "
                               f"runbook{hint}{also}", f"{kp}.{rel}"))
    return out


def _posts(rb: Runbook, text: str, known: set[str]) -> list[Problem]:
    """A message's `post:` naming no webhook of the runbook's or the config's `notify:`:
    a warning (a runbook included by another may post to the includer's webhooks), as
    the run would say only when the message is shown, and send it nowhere."""
    out = []
    for index, step in enumerate(rb.steps):
        if step.post is None or step.post in known:
            continue
        where = "; known: " + ", ".join(sorted(known)) if known else ""
        out.append(problem(text, step.value_pos.get("post", step.at("post")),
                           f"post: no webhook '{step.post}' in this runbook's or the config's "
                           f"notify: (the message would be sent nowhere){did_you_mean(step.post, known)}"
                           f"{where}", f"steps[{index}].post", severity="warning"))
    return out


def _targets(step: Step) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(key path in the step, target, words allowed besides step ids) of each jump."""
    for i, branch in enumerate(step.next):
        rel = f"next[{i}].goto" if f"next[{i}].goto" in step.value_pos else "next"
        yield rel, branch.goto, (END,)
    if step.on_failure not in ON_FAILURE_WORDS:
        yield "on_failure", step.on_failure, ON_FAILURE_WORDS
    if step.on_no not in ON_NO_WORDS:
        yield "on_no", step.on_no, ON_NO_WORDS
    if step.on_approval_timeout not in ON_NO_WORDS:
        yield "on_approval_timeout", step.on_approval_timeout, ON_NO_WORDS


# --- the step graph ----------------------------------------------------------


def _adjacency(rb: Runbook) -> dict[str, set[str]]:
    """Step id -> where it can go: step ids and END (ABORT and missing steps left out)."""
    ids = set(rb.step_ids)
    adj: dict[str, set[str]] = {sid: set() for sid in rb.step_ids}
    for edge in edges(rb):
        if edge.dst in ids or edge.dst == END:
            adj[edge.src].add(edge.dst)
    return adj


def _flow(rb: Runbook, text: str) -> list[Problem]:
    adj = _adjacency(rb)
    reached = _reachable(rb.steps[0].id, adj)
    out = []
    for i, step in enumerate(rb.steps):
        if step.id not in reached:
            out.append(problem(text, step.pos, f"step '{step.id}' can never run: no path from the "
                               f"first step leads to it (add a `next` or jump to it, or remove it)",
                               f"steps[{i}]"))
    for loop in _closed_loops(adj, reached):
        out.append(_loop_problem(rb, text, loop))
    return out


def _reachable(start: str, adj: dict[str, set[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in adj.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _closed_loops(adj: dict[str, set[str]], reached: set[str]) -> list[set[str]]:
    """Strongly connected groups of reached steps (or a step jumping to itself) that
    have no edge to a step outside the group nor to the end (Tarjan: linear time)."""
    loops = []
    for group in _sccs({sid: adj[sid] for sid in adj if sid in reached}):
        sid = next(iter(group))
        cyclic = len(group) > 1 or sid in adj[sid]
        if cyclic and all(adj[member] <= group for member in group):
            loops.append(group)
    return loops


def _sccs(adj: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components, iteratively (no recursion limit on long runbooks)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    for root in adj:
        if root in index:
            continue
        work = [(root, iter(sorted(adj[root] & adj.keys())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(adj[child] & adj.keys()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                out.append(group)
    return out


def _loop_problem(rb: Runbook, text: str, group: set[str]) -> Problem:
    members = [s for s in rb.steps if s.id in group]
    last = members[-1]  # the step that jumps back: where a way out is usually missing
    key = next((k for k in ("next", "on_failure", "on_no") if k in last.value_pos), None)
    pos: Pos = last.value_pos[key] if key else last.pos
    if len(members) == 1:
        msg = f"step '{last.id}' loops to itself with no way out"
    else:
        msg = f"loop with no way out: steps {', '.join(s.id for s in members)} only lead to each other"
    msg += " (add a condition to `next`, or a step outside the loop or `end` to go to)"
    return problem(text, pos, msg, f"{_kp(rb, last)}.{key}" if key else _kp(rb, last))


# --- includes ----------------------------------------------------------------


def _includes(rb: Runbook, text: str, resolve: Resolve, known: Collection[str],
              check: Callable[[Runbook], list[Problem]]) -> list[Problem]:
    """Each include names a runbook on the search path, without a cycle, and free of
    errors of its own (checked as `validate` checks it: an error there would stop the
    run midway), reported where it is included, with where the first one is."""
    out = []
    for step in rb.steps:
        if step.action != "include":
            continue
        kp = f"{_kp(rb, step)}.include"
        pos = step.value_pos.get("include", step.pos)
        target = step.text
        cycle = includes.cycle(rb.id, target, resolve)
        if cycle:
            out.append(problem(text, pos, f"include cycle: {' → '.join(cycle)}", kp))
        elif (book := resolve(target)) is None:
            out.append(problem(text, pos, _missing(target, known), kp))
        elif errors := [p for p in check(book) if p.severity == "error"]:
            first = errors[0]
            more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
            out.append(problem(text, pos, f"include: runbook '{target}' has problems of its own: "
                               f"{first.pos}: {first.message}{more} (runbookctl validate "
                               f"{target})", kp))
    return out


def _include_secrets(rb: Runbook, resolve: Resolve) -> list[Problem]:
    """The secrets of `rb` and its includes are read once per name, the first
    declaration winning: a second declaration with another environment variable
    would silently never be read, and a secret that is another runbook's input
    would be shown and journaled as an input. Reported where the later one is."""
    books = list(includes.books(rb, resolve))
    inputs = {spec.name: book.id for book in reversed(books) for spec in book.inputs}
    first: dict[str, tuple[str, str]] = {}  # name -> (env, runbook)
    out = []
    for book in books:
        for spec in book.secrets:
            env, owner = spec.env or spec.name, inputs.get(spec.name)
            if owner not in (None, book.id):
                msg = f"secret '{spec.name}' of runbook {book.id} is an input of runbook {owner}"
            elif spec.name in first and first[spec.name][0] != env:
                msg = (f"secret '{spec.name}' is also declared by runbook {first[spec.name][1]} "
                       f"with env {first[spec.name][0]}, here with env {env}")
            else:
                first.setdefault(spec.name, (env, book.id))
                continue
            text = Path(book.path).read_text(encoding="utf-8") if book is not rb else ""
            out.append(problem(text, spec.pos, msg, f"secrets.{spec.name}"))
    return out


def _source(book: Runbook) -> str:
    """An included runbook's text, for its problems' source lines ("" if unreadable:
    the positions stand)."""
    try:
        return Path(book.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _missing(target: str, known: Collection[str]) -> str:
    if target in known:
        return f"include: runbook '{target}' has problems of its own (runbookctl validate {target})"
    return f"include: no runbook '{target}' on the search path{did_you_mean(target, known)}"

