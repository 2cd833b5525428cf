"""Every command, each of its arguments and options given values a clumsy or hostile user types:
bad input or a refusal (exit 2 or 1) with its French line, never an internal error. The commands
are found by walking the command line itself, so a command added later is swept too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from command_line.main import _command
from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR

HOSTILE = ["", "x", "-1", "0", "99999999999999999999", "2021-13-45", "0001-01-01", "9999-12-31",
           "0001-Q1", "1e400", "NaN", "<b>é</b>", "\u202e", "a" * 3000, "../../etc/passwd",
           "/dev/zero", "/nonexistent/x.csv", "BZH-2021-0001", "2021-06-22"]
SERVICES = {("serve",), ("demo",)}  # they run until stopped: their options are tested apart


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        elif (*path, name) not in SERVICES:
            yield (*path, name), command


def typed(path: tuple[str, ...], command: Any) -> Iterator[list[str]]:
    """The command line with each argument, then each option, given each hostile value (the
    other arguments a dossier's reference, the actor a coordinator)."""
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    options = [p for p in command.params if p.param_type_name == "option"
               and not p.is_flag and p.name != "help"]
    acts = any(option.opts[0] == "--actor" for option in options)
    for target in (*arguments, *options):
        for value in HOSTILE:
            given = [value if a is target else "BZH-2021-0001" for a in arguments]
            if target.param_type_name == "option":
                given += [target.opts[0], value]
            if acts and target.opts[0] != "--actor":
                given += ["--actor", COORDINATOR]
            yield [*path, *given]


def test_no_value_typed_anywhere_on_the_command_line_is_an_internal_error(
        tmp_path, capsys, monkeypatch):
    campaigns.unset_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)  # what a command writes where it is told, it writes here
    cli = Cli(tmp_path / "base.db", capsys, monkeypatch)
    campaigns.replayed(cli, tmp_path)
    swept, broken = set(), []
    for path, command in commands(_command()):
        swept.add(path)
        for line in typed(path, command):
            result = cli(*line, now="2021-12-01 10:00")
            if result.code not in (0, 1, 2) or "erreur interne" in result.err:
                broken.append((line[:6], result.code, result.err[-200:]))
    assert {("init",), ("dossier", "import"), ("outbox", "retry"), ("token", "revoke"),
            ("dossier", "submit_report")} <= swept
    assert not broken, broken
