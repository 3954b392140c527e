"""The app's commands built on first use (cli/lazy.py) say and do what typer's eager
build of the same declarations says and does: every --help, word for word, and the
errors of a wrong command name; and a start builds only the command it runs."""

from __future__ import annotations

import copy

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner, Result

from runbookctl.cli.app import app, commands
from runbookctl.cli.lazy import LazyCommands, LazyGroup, lazy_group


def _eager() -> typer.Typer:
    """The app as typer builds it without cli/lazy.py: the same settings and callback,
    every command registered on it."""
    twin = copy.copy(app)
    twin.info = copy.copy(app.info)
    twin.info.cls = TyperGroup
    twin.registered_commands = list(commands.registered_commands)
    twin.registered_groups = list(commands.registered_groups)
    return twin


def _every_help_invocation() -> list[list[str]]:
    """`--help` of the app, of each command, and of each command of a group (`store`)."""
    group = typer.main.get_command(_eager())
    assert isinstance(group, TyperGroup)
    out = [["--help"]]
    for name, command in group.commands.items():
        out.append([name, "--help"])
        if isinstance(command, TyperGroup):
            out += [[name, sub, "--help"] for sub in command.commands]
    return out


def _invoke(target: typer.Typer, args: list[str]) -> Result:
    return CliRunner().invoke(target, args, env={"COLUMNS": "100"}, prog_name="runbookctl")


def test_every_help_reads_as_the_eager_build_does() -> None:
    invocations = _every_help_invocation()
    assert len(invocations) >= 22  # the app, its 20 commands, store's init and sync
    eager = _eager()
    for args in invocations:
        lazy_out, eager_out = _invoke(app, args), _invoke(eager, args)
        assert (lazy_out.exit_code, lazy_out.output) == (eager_out.exit_code, eager_out.output), args
        assert lazy_out.exit_code == 0 and "Usage: runbookctl" in lazy_out.output


@pytest.mark.parametrize("args", [[], ["lst"], ["nosuch"], ["store"], ["store", "nit"],
                                  ["list", "--nope"], ["--runbooks"]])
def test_wrong_or_missing_command_reads_as_the_eager_build_does(args: list[str]) -> None:
    lazy_out, eager_out = _invoke(app, args), _invoke(_eager(), args)
    assert (lazy_out.exit_code, lazy_out.output) == (eager_out.exit_code, eager_out.output)
    assert lazy_out.exit_code == 2


def test_a_typo_is_answered_with_the_close_command() -> None:
    assert "Did you mean 'list'?" in _invoke(app, ["lst"]).output


def _root() -> LazyGroup:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    return group


def test_help_builds_no_command_and_a_command_only_itself() -> None:
    group = _root()
    with pytest.raises(SystemExit):
        group.main(["--help"], prog_name="runbookctl")
    assert isinstance(group.commands, LazyCommands)
    assert group.commands.built() == []
    with pytest.raises(SystemExit):
        group.main(["schema", "--help"], prog_name="runbookctl")
    assert group.commands.built() == ["schema"]


def test_commands_keep_their_declared_order() -> None:
    names = list(_root().commands)
    assert names[:5] == ["list", "show", "validate", "schema", "run"]
    assert names[-1] == "store"


def test_a_command_added_after_declaration_is_listed_last() -> None:
    table = _root().commands
    extra = typer.core.TyperCommand("extra", help="An extra command.")
    table["extra"] = extra
    assert list(table)[-1] == "extra" and table["extra"] is extra
    del table["extra"]
    assert "extra" not in table


def test_a_group_without_a_name_is_refused() -> None:
    declared = typer.Typer()
    declared.add_typer(typer.Typer())
    with pytest.raises(ValueError, match="needs a name"):
        LazyCommands(declared, markup=None)


def test_the_class_carries_its_declarations() -> None:
    cls = lazy_group(commands)
    assert issubclass(cls, LazyGroup) and cls.declared is commands
