"""The note key (#14.3): at any question the terminal asks, Ctrl-N — or a menu's last
entry — asks for a note for the record, and then the same question again
(prompts/terminal.py:TerminalPrompter); `bind_key` binds it, and the shell key.
Not `n`: that is "no" at a yes/no gate, and
text in a field.
"""

from __future__ import annotations

from typing import Any

NOTE_KEY = "c-n"
NOTE_HINT = "(Ctrl-N at any question adds a timestamped note to the record)"
NOTE_LABEL = "add a note…"
NOTE_PROMPT = "Note for the record (empty: none):"


class NoteWanted:
    """What a question returns when the note key or the menu's note entry was chosen."""


NOTE = NoteWanted()


def with_note_entry(kind: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A menu's (select's) arguments with the note entry last; other questions unchanged."""
    if kind != "select":
        return kwargs
    return {**kwargs, "choices": [*kwargs["choices"], {"name": NOTE_LABEL, "value": NOTE}]}


def bind_key(app: Any, key: str, result: object) -> None:
    """`key` ends the question `app` with `result` (NOTE_KEY: NOTE; the shell key too).
    Eager and added last: it wins over the question's own use of the key (a select
    moves down on Ctrl-N, a text field's history goes forward)."""
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

    keys = KeyBindings()

    @keys.add(key, eager=True)
    def _chosen(event: Any) -> None:
        event.app.exit(result=result)

    app.key_bindings = merge_key_bindings([app.key_bindings, keys]) if app.key_bindings else keys
