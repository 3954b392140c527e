"""A typer group whose commands are built on first use, not all at every start.

typer turns each command function into a click command before it reads the
arguments: it inspects the signature and evaluates every annotation of every
command. For runbookctl's twenty-odd commands that took ~20 ms of each start
(`--help` and `list` included), to then run one command. Here the group keeps the
commands as declared (a typer app's registered commands and groups) and builds a
command when it is looked up; the top-level `--help` lists each from its
declaration (name, short help), which is all the listing reads. Built by typer's
own functions, so a built command is the same as the one typer builds eagerly
(tests/unit/cli/test_lazy.py compares every command's --help both ways).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info, solve_typer_info_defaults

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter
    from typer.models import CommandInfo, TyperInfo


class LazyCommands(MutableMapping[str, "Command"]):
    """name -> click command, in declaration order; each built on first access."""

    def __init__(self, declared: typer.Typer, *, markup: Any) -> None:
        self._declared: dict[str, CommandInfo | TyperInfo] = {}
        self._built: dict[str, Command] = {}
        self._short = declared.pretty_exceptions_short
        self._suggest = declared.suggest_commands
        self._markup = markup
        for info in declared.registered_commands:
            name = info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
            self._declared[name] = info
        for group in declared.registered_groups:
            group_name = solve_typer_info_defaults(group).name
            if not group_name:  # typer merges an unnamed group's commands in: not done lazily
                raise ValueError("a lazily built group needs a name")
            self._declared[group_name] = group

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            self._built[name] = self._build(self._declared[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._declared.setdefault(name, command)  # type: ignore[arg-type]  # keeps the order
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._declared[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)

    def built(self) -> list[str]:
        """The names built so far (what a start paid for)."""
        return list(self._built)

    def stand_in(self, name: str) -> Command | None:
        """What a listing reads of a command (name, help, short help, hidden, deprecated),
        without building it: the built command if there is one."""
        if name in self._built:
            return self._built[name]
        info = self._declared.get(name)
        if info is None:
            return None
        if isinstance(info, typer.models.CommandInfo):
            text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
        else:
            info = solve_typer_info_defaults(info)
            text = info.help
        return TyperCommand(name, help=text, short_help=info.short_help, hidden=bool(info.hidden),
                            deprecated=bool(info.deprecated))

    def _build(self, info: CommandInfo | TyperInfo) -> Command:
        if isinstance(info, typer.models.CommandInfo):
            return get_command_from_info(info, pretty_exceptions_short=self._short,
                                         rich_markup_mode=self._markup)
        return get_group_from_info(info, pretty_exceptions_short=self._short,
                                   suggest_commands=self._suggest, rich_markup_mode=self._markup)


class LazyGroup(TyperGroup):
    """The root group: its commands come from `declared` (set by lazy_group)."""

    declared: typer.Typer

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.declared, markup=self.rich_markup_mode)
        self._listing = False

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if self._listing:
            assert isinstance(self.commands, LazyCommands)
            return self.commands.stand_in(cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)  # typer's reads .items(): it would build every command

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """typer's own listing, reading each command's declaration instead of building it."""
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


def lazy_group(declared: typer.Typer) -> type[LazyGroup]:
    """The group class for `typer.Typer(cls=...)`: typer instantiates it, so the
    declarations travel on the class."""
    return type("RootGroup", (LazyGroup,), {"declared": declared})
