"""Events per second through the service layer against the same statements sent by hand.

    python bench/events.py [--events 500]
    python bench/events.py --db postgresql+psycopg://postgres@127.0.0.1/test [--processes 4]

Prints both rates and their ratio (goal ≥ 0.5), then the cold start of
`comite dossier show REF --json` against `python -c "import sqlmodel"`, measured as alternating
pairs, and the median of their ratios (goal ≤ 1.3). With
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

from bench.same_shape import instruct, one_event, qmark, sample_message, submitted  # noqa: E402
from workflow.db import engine_for  # noqa: E402


def through_services(folder: Path, count: int) -> tuple[float, str]:
    url = f"sqlite:///{folder / 'services.db'}"
    references = submitted(url, count)
    engine = engine_for(url)
    started = time.perf_counter()
    instruct(engine, references)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed, references[0]


def raw_sqlite(folder: Path, count: int) -> float:
    """The same statements by hand through sqlite3, on our schema (WAL, synchronous=FULL)."""
    references = submitted(f"sqlite:///{folder / 'raw.db'}", count)
    message = sample_message()
    connection = sqlite3.connect(folder / "raw.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    started = time.perf_counter()
    for reference in references:
        connection.execute("BEGIN IMMEDIATE")
        one_event(connection.execute, reference, message, style=qmark)
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


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
        print(f"sqlite3  : {raw:8.1f} transactions/s (mêmes requêtes à la main, WAL, "
              "synchronous=FULL)")
        print(f"ratio    : {services / raw:8.2f} (objectif ≥ 0.5)")
        env = {**os.environ, "COMITE_DATABASE_URL": f"sqlite:///{folder / 'services.db'}"}
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
