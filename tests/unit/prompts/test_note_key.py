"""The note key: a menu gets the note entry last, and Ctrl-N ends any question with the
note marker, also where the question itself uses Ctrl-N (a select moves down on it)."""

from __future__ import annotations

from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from runbookctl.prompts.note_key import NOTE, NOTE_KEY, NOTE_LABEL, bind_key, with_note_entry


def test_only_a_menu_gets_the_note_entry_and_it_comes_last() -> None:
    menu = with_note_entry("select", {"choices": ["retry", "abort"], "default": "retry"})
    assert menu == {"choices": ["retry", "abort", {"name": NOTE_LABEL, "value": NOTE}],
                    "default": "retry"}
    assert with_note_entry("confirm", {"default": False}) == {"default": False}


def _answer(kind: str, keys: str, **kwargs: Any) -> Any:
    import questionary

    with create_pipe_input() as pipe:
        question = getattr(questionary, kind)("Q?", input=pipe, output=DummyOutput(), **kwargs)
        assert isinstance(question.application, Application)
        bind_key(question.application, NOTE_KEY, NOTE)
        pipe.send_text(keys)
        return question.unsafe_ask()


def test_ctrl_n_ends_every_kind_of_question_with_the_note_marker() -> None:
    assert _answer("confirm", "\x0e", default=False, auto_enter=False) is NOTE
    assert _answer("text", "half typed\x0e") is NOTE
    assert _answer("select", "\x0e", choices=["a", "b"]) is NOTE  # not "move down"


def test_other_keys_still_answer_the_question() -> None:
    assert _answer("confirm", "y\r", default=False, auto_enter=False) is True
    assert _answer("select", "\x1b[B\r", choices=["a", "b"]) == "b"
