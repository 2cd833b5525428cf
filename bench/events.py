"""Events per second through the service layer against a raw sqlite3 transaction of the same shape.

    python bench/events.py [--events 500]
    python bench/events.py --db postgresql+psycopg://postgres@127.0.0.1/test [--processes 4]

Prints both rates and their ratio (goal ≥ 0.5), then the cold start of
`comite dossier show REF --json` against `python -c "import sqlmodel"` (goal ≤ 1.3). With
--db postgresql, the same comparison against raw psycopg with 1 and N processes.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from notifications.render import render  # noqa: E402
from tests.helpers import INSTRUCTOR, Desk, at, form, make_engine  # noqa: E402
from workflow import events  # noqa: E402
from workflow.db import UnitOfWork  # noqa: E402
from workflow.dossiers import Request  # noqa: E402


def through_services(folder: Path, count: int) -> tuple[float, str]:
    engine = make_engine(f"sqlite:///{folder / 'services.db'}")
    desk = Desk(engine)
    references = [desk.submit(form(applicant={"department": "29"})) for _ in range(count)]
    started = time.perf_counter()
    for reference in references:
        with UnitOfWork(engine, write=True, render=render) as uow:
            events.start_instruction(uow, Request(reference, INSTRUCTOR["29"],
                                                  at("2021-05-10 09:00")))
            uow.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed, references[0]


def raw_sqlite(folder: Path, count: int) -> float:
    connection = sqlite3.connect(folder / "raw.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.executescript("""
        CREATE TABLE dossier (id INTEGER PRIMARY KEY, reference TEXT UNIQUE, state TEXT,
                              version INTEGER, updated_at TEXT);
        CREATE TABLE audit (id INTEGER PRIMARY KEY, dossier_id INTEGER, action TEXT, event TEXT,
                            from_state TEXT, to_state TEXT, at TEXT, actor TEXT, data TEXT);
        CREATE TABLE outbox (id INTEGER PRIMARY KEY, dedup_key TEXT UNIQUE, message_id TEXT,
                             recipient TEXT, subject TEXT, text TEXT, html TEXT, status TEXT);
    """)
    connection.executemany("INSERT INTO dossier (reference, state, version) VALUES (?, ?, 1)",
                           [(f"R-{n}", "submitted") for n in range(count)])
    started = time.perf_counter()
    for n in range(count):
        connection.execute("BEGIN IMMEDIATE")
        row = connection.execute("SELECT id, state, version FROM dossier WHERE reference = ?",
                                 (f"R-{n}",)).fetchone()
        updated = connection.execute(
            "UPDATE dossier SET state = ?, version = version + 1, updated_at = ? "
            "WHERE id = ? AND version = ?", ("instruction", "2021-05-10", row[0], row[2]))
        assert updated.rowcount == 1
        cursor = connection.execute(
            "INSERT INTO audit (dossier_id, action, event, from_state, to_state, at, actor, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row[0], "dossier.start_instruction", "start_instruction", row[1], "instruction",
             "2021-05-10", "i@example.org", "{}"))
        connection.execute(
            "INSERT INTO outbox (dedup_key, message_id, recipient, subject, text, html, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'queued')",
            (f"audit:{cursor.lastrowid}", f"<{n}@x>", "o@example.org", "s", "t", "h"))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


def cold_start(command: list[str], env: dict[str, str], runs: int = 7) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--db", help="a PostgreSQL URL: compare against raw psycopg")
    parser.add_argument("--processes", type=int, default=4)
    arguments = parser.parse_args()
    count = arguments.events
    if arguments.db:
        from bench.bench_pg import raw, services

        for processes in sorted({1, arguments.processes}):
            ours, theirs = services(arguments.db, count, processes), raw(arguments.db, count,
                                                                           processes)
            print(f"PostgreSQL, {processes} processus : services {ours:8.1f} événements/s, "
                  f"psycopg {theirs:8.1f} transactions/s, ratio {ours / theirs:5.2f} "
                  "(objectif ≥ 0.5 à 4 processus)")
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        services, reference = through_services(folder, count)
        raw = raw_sqlite(folder, count)
        print(f"services : {services:8.1f} événements/s ({count} start_instruction)")
        print(f"sqlite3  : {raw:8.1f} transactions/s (même forme, WAL, synchronous=FULL)")
        print(f"ratio    : {services / raw:8.2f} (objectif ≥ 0.5)")
        env = {**os.environ, "COMITE_DATABASE_URL": f"sqlite:///{folder / 'services.db'}"}
        show = cold_start([sys.executable, "-m", "workflow", "dossier", "show", reference, "--json"],
                          env)
        baseline = cold_start([sys.executable, "-c", "import sqlmodel"], env)
        json.loads(subprocess.run([sys.executable, "-m", "workflow", "dossier", "show", reference,
                                   "--json"], env=env, capture_output=True, check=True).stdout)
        print(f"démarrage `dossier show --json` : {show * 1000:6.0f} ms")
        print(f"démarrage `import sqlmodel`      : {baseline * 1000:6.0f} ms")
        print(f"ratio                            : {show / baseline:6.2f} (objectif ≤ 1.3)")


if __name__ == "__main__":
    main()
