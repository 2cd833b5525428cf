"""Run the command line in-process, as a user would type it, and capture what it prints."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from command_line.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Cli:
    db: Path | str  # a SQLite file, or any database URL
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    program: str = "comite"  # argv[0], as the person typed it

    def __call__(self, *args: str, now: str | None = None, actor: str | None = None) -> Result:
        argv = [self.program, "--db", str(self.db)]
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
        from sqlalchemy import MetaData, create_engine, select
        from sqlalchemy.pool import NullPool

        url = self.db if isinstance(self.db, str) else f"sqlite:///{self.db}"
        engine = create_engine(url, poolclass=NullPool)
        tables = MetaData()
        tables.reflect(engine)
        lines = []
        with engine.connect() as connection:
            for table in tables.sorted_tables:
                rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                lines.append(f"{table.name}:{len(rows)}\n" + "\n".join(rows))
        engine.dispose()
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()
