"""The report's timeline (#14.2): one row per step visit, named by its title.

The replay keeps one row per event (an answer, then the step's end, …); a
reader wants what happened at each step once: "yes (answers-file)", not
"confirm: yes" followed by "ok". Rows of one step in a row are merged, the
end of a step that an answer already explains is dropped, and a reason that
repeats its status ("skipped: skipped: …") is said once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runbookctl.record import events as ev

if TYPE_CHECKING:
    from runbookctl.record.run_state import RunState

# The end of a step whose row says nothing an answer or message row did not.
_QUIET_ENDS = ("ok", "message recorded", "ok: shown and recorded", "ok: done")


def compact_timeline(state: RunState) -> list[dict[str, str]]:
    """Rows {ts, title, what, who}: consecutive events of one step merged."""
    rows: list[dict[str, str]] = []
    group: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []  # made while `group`'s step went on: said after its row
    for row in state.timeline:
        if "note" in row:
            (notes if group else rows).append(_note(state, row))
            continue
        if group and (not row["step"] or row["step"] != group[0]["step"]):
            rows += [_merge(state, group), *notes]
            group, notes = [], []
        if row["step"]:
            group.append(row)
        else:
            rows.append({"ts": row["ts"], "title": "", "what": no_repeats(row["what"]),
                         "who": short_actor(row["who"])})
    if group:
        rows += [_merge(state, group), *notes]
    return rows


def _note(state: RunState, row: dict[str, str]) -> dict[str, str]:
    """A note as its author wrote it (masked when journaled), and where it was made."""
    rec = state.steps.get(row["note"])
    where = f" (at {rec.title})" if rec else ""
    return {"ts": row["ts"], "title": f"Note{where}", "what": row["what"],
            "who": short_actor(row["who"])}


def _merge(state: RunState, group: list[dict[str, str]]) -> dict[str, str]:
    key = group[0]["step"]
    rec = state.steps.get(key)
    parts: list[str] = []
    for row in group:
        what = no_repeats(_with_question(row))
        # Rows that say the same in other words are said once, in the longer words:
        # "command interrupted by X; command stopped with Y" then the step's "interrupted by X".
        if any(what in p for p in parts):
            continue
        parts = [p for p in parts if p not in what]
        parts.append(what)
    said = [p for p in parts if p not in _QUIET_ENDS and not _answered_end(p)]
    people = [r["who"] for r in group if r["who"] != ev.SYSTEM]
    return {"ts": group[0]["ts"], "title": rec.title if rec else key,
            "what": "; ".join(said or parts[:1]),
            "who": short_actor(people[0] if people else ev.SYSTEM)}


def _with_question(row: dict[str, str]) -> str:
    """An answer row as "question → answer (origin)": the report shows no other
    section for a step that only asked (its first line: a confirm's question
    may hold the whole command, which the step's detail shows)."""
    if "question" not in row:
        return row["what"]
    question = row["question"].strip().splitlines()
    kind, _, answer = row["what"].partition(": ")
    if not question or kind == "manual":  # a manual step's title says what was done
        return answer
    first = question[0] if len(question[0]) <= 120 else question[0][:119] + "…"
    return f"{first} → {answer}"


def _answered_end(text: str) -> bool:
    """`ok: cause answered`: an ask's end, already shown by its answer."""
    return text.startswith("ok: ") and text.endswith(" answered")


def no_repeats(text: str, *said: str) -> str:
    """`skipped: skipped: x` and `skipped: answered no: skipped` say `skipped` once;
    parts equal to one of `said` (shown beside the text already) are left out."""
    seen = {s.strip().lower() for s in said}
    kept: list[str] = []
    for part in text.split(": "):
        if kept and kept[-1].split() and part.lower().startswith(kept[-1].split()[-1].lower() + ";"):
            part = part.split(";", 1)[1].strip()  # "run completed: completed; …"
        if part.strip().lower() not in seen:
            kept.append(part)
            seen.add(part.strip().lower())
    return ": ".join(kept)


def short_actor(actor: str) -> str:
    """A person as named; an answers file by its name, not its full path and digest."""
    if "/" not in actor:
        return actor
    path = actor.split(" (sha256", 1)[0]
    return "answers file " + path.rsplit("/", 1)[-1]
