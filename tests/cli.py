"""Run the command line in-process, as a user would type it, and capture what it prints."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from workflow.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Cli:
    db: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, now: str | None = None, actor: str | None = None) -> Result:
        argv = ["comite", "--db", str(self.db)]
        if now is not None:
            argv += ["--now", now]
        argv += list(args)
        if actor is not None:
            argv += ["--actor", actor]
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "argv", argv)
        try:
            main()
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def ok(self, *args: str, **kwargs: str | None) -> str:
        result = self(*args, **kwargs)
        assert result.code == 0, result.err
        return result.out.strip()

    def digest(self) -> str:
        """A fingerprint of every row of every table: equal means nothing was written."""
        with sqlite3.connect(self.db) as connection:
            return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()
