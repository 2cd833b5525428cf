"""Events per second through the service layer against the same statements sent by hand.

    python bench/events.py [--events 100] [--rounds 6]
    python bench/events.py --db postgresql+psycopg://postgres@127.0.0.1/test [--processes 4]

The sides run in short alternating rounds within one run (services, by hand, by hand composing,
services, …), each round on its own fresh dossiers: the script prints each round's rates and
our ratio to the statements by hand, then the medians and the median of the ratios (goal ≥ 0.5).
The third side sends the same statements by hand but composes each message as an event must (the
owner's link signed, our templates rendered): its ratio to the second is the ceiling, the most the
services could reach with no ORM, rule or unit of work at all. It does so twice: with the base as
comite runs it (WAL, synchronous=FULL: one fsync per commit) and with synchronous=OFF, where the
disk is out of the way and what is left is the CPU each side spends. Then the cold start of
`comite dossier show REF --json` against `python -c "import sqlmodel"`, measured as alternating
pairs, and the median of their ratios (goal ≤ 1.3). With --db postgresql, the same rounds
against raw psycopg (and raw psycopg composing) with 1 and N processes, with synchronous_commit
on and off.
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rounds import alternate, report  # noqa: E402
from bench.same_shape import (  # noqa: E402
    composer,
    instruct,
    one_event,
    qmark,
    sample_message,
    submitted,
)
from workflow.db import engine_for  # noqa: E402

SYNCHRONOUS = ("FULL", "OFF")


def sqlite_pairs(folder: Path, count: int, rounds: int,
                 synchronous: str) -> tuple[list[tuple[float, ...]], str]:
    """Alternating rounds of ``count`` start_instruction, through our services, by hand through
    sqlite3 on our schema (WAL), and by hand again composing each message (the owner's link
    signed, our templates rendered), all with ``synchronous``; and a dossier to show."""
    from sqlalchemy import event

    ours_url = f"sqlite:///{folder / f'services-{synchronous}.db'}"
    theirs_path = folder / f"raw-{synchronous}.db"
    ours_references = submitted(ours_url, count * rounds)
    theirs_references = submitted(f"sqlite:///{theirs_path}", 2 * count * rounds)
    engine = engine_for(ours_url)
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _synchronous(dbapi_connection, _record) -> None:  # after comite's own pragmas
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous}")

    message, composed = sample_message(), composer()
    connection = sqlite3.connect(theirs_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")

    def ours(number: int) -> float:
        share = ours_references[number * count:(number + 1) * count]
        started = time.perf_counter()
        instruct(engine, share)
        return count / (time.perf_counter() - started)

    def by_hand(share: list[str], given: Any) -> float:
        """``share`` by hand, each event writing ``given``: the message, or its composer."""
        started = time.perf_counter()
        for reference in share:
            connection.execute("BEGIN IMMEDIATE")
            one_event(connection.execute, reference, given, style=qmark)
            connection.execute("COMMIT")
        return count / (time.perf_counter() - started)

    def theirs(number: int) -> float:
        return by_hand(theirs_references[2 * number * count:(2 * number + 1) * count], message)

    def composing(number: int) -> float:
        return by_hand(theirs_references[(2 * number + 1) * count:(2 * number + 2) * count],
                       composed)

    try:
        return alternate(ours, theirs, composing, rounds=rounds), ours_references[0]
    finally:
        connection.close()
        event.remove(engine, "connect", _synchronous)
        engine.dispose()


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def cold_start_pairs(ours: list[str], baseline: list[str], env: dict[str, str],
                     pairs: int = 15) -> list[tuple[float, float]]:
    """(ours, baseline) start times measured alternately, so both see the same machine.

    Our packages are compiled to bytecode first, as an install compiles them (and as sqlmodel's
    already are): with PYTHONDONTWRITEBYTECODE set, as here, an editable checkout would otherwise
    recompile every module at every start and the comparison would be unfair."""
    import compileall

    root = Path(__file__).resolve().parents[1]
    for package in ("states", "workflow", "notifications", "schedules", "reports"):
        compileall.compile_dir(root / package, quiet=1)
    _timed(ours, env), _timed(baseline, env)  # warm the file cache for both
    return [(_timed(ours, env), _timed(baseline, env)) for _ in range(pairs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100,
                        help="events per side and round (per process on PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--db", help="a PostgreSQL URL: compare against raw psycopg")
    parser.add_argument("--processes", type=int, default=4)
    arguments = parser.parse_args()
    count, rounds = arguments.events, arguments.rounds
    if arguments.db:
        from bench.bench_pg import pairs

        for synchronous in ("on", "off"):
            for processes in sorted({1, arguments.processes}):
                report(f"PostgreSQL, synchronous_commit={synchronous}, {processes} processus, "
                       f"{rounds} manches de {count} start_instruction par processus",
                       pairs(arguments.db, count, rounds, processes, synchronous),
                       ours="services", theirs="psycopg", unit="év./s", goal=0.5,
                       beside="psycopg + message", ceiling=True)
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for synchronous in SYNCHRONOUS:
            found, reference = sqlite_pairs(folder, count, rounds, synchronous)
            report(f"SQLite (WAL, synchronous={synchronous}), {rounds} manches de {count} "
                   "start_instruction : services, puis les mêmes requêtes à la main (sqlite3), "
                   "puis à la main en composant chaque message (lien signé, gabarits rendus)",
                   found, ours="services", theirs="sqlite3", unit="év./s", goal=0.5,
                   beside="sqlite3 + message", ceiling=True)
        env = {**os.environ, "COMITE_DATABASE_URL": f"sqlite:///{folder / 'services-FULL.db'}"}
        show = [sys.executable, "-c", "from command_line.main import main; main()", "dossier", "show",
                reference, "--json"]
        json.loads(subprocess.run(show, env=env, capture_output=True, check=True).stdout)
        pairs = cold_start_pairs(show, [sys.executable, "-c", "import sqlmodel"], env)
        print("démarrage, par paires alternées (ms) : `dossier show --json` / `import sqlmodel`")
        for ours, theirs in pairs:
            print(f"  {ours * 1000:6.0f} / {theirs * 1000:6.0f}  ratio {ours / theirs:5.2f}")
        ratio = statistics.median(ours / theirs for ours, theirs in pairs)
        print(f"médiane des ratios sur {len(pairs)} paires : {ratio:5.2f} (objectif ≤ 1.3) ; "
              f"médianes {statistics.median(p[0] for p in pairs) * 1000:.0f} ms / "
              f"{statistics.median(p[1] for p in pairs) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
