"""Tick time against the size of the follow-up: the cost should follow the due rows, not the total.

    python bench/tick.py [--small 10000] [--large 100000] [--due 1000]

Fills a SQLite base with dossiers in follow-up and their report deadlines (12 rows each, none
due), times `tick` on 10k and 100k of them (goal: ratio ≤ 1.5), then with 1,000 rows due.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402

from notifications.render import render  # noqa: E402
from schedules.jobs import tick  # noqa: E402
from tests.helpers import at, make_engine  # noqa: E402
from workflow.models import Dossier  # noqa: E402
from workflow.records import DueWork  # noqa: E402

NOW = at("2021-08-01 09:00")


def fill(engine, count: int) -> None:
    """``count`` laureates in follow-up, each with 12 future report deadlines."""
    future = datetime(2021, 10, 8, 6, tzinfo=UTC)
    with engine.begin() as connection:
        first = connection.execute(select(Dossier.id).order_by(Dossier.id.desc())).first()
        start = (first[0] if first else 0) + 1
        for offset in range(0, count, 5000):
            numbers = range(start + offset, start + min(offset + 5000, count))
            connection.execute(insert(Dossier), [{
                "id": n, "guichet_id": "bretagne-2021", "reference": f"BZH-2021-{n:06d}",
                "state": "follow_up", "measure": "3c", "department": "29",
                "applicant_name": "Commune", "applicant_kind": "commune", "siren": "212900096",
                "title": f"Projet {n}", "title_key": f"projet {n}", "owner_email": "o@example.org",
                "total_cost_cents": 100, "requested_cents": 100, "awarded_cents": 100,
                "end_date": date(2022, 6, 30), "signed_on": date(2021, 7, 1), "form": {},
                "submitted_at": NOW, "updated_at": NOW} for n in numbers])
            connection.execute(insert(DueWork), [{
                "key": f"{kind}:{n}:-:{period}", "kind": kind, "dossier_id": n, "period": period,
                "due_at": future + timedelta(days=90 * q), "status": "pending"}
                for n in numbers for q, period in enumerate(
                    ("2021-Q3", "2021-Q4", "2022-Q1", "2022-Q2"))
                for kind in ("report_reminder", "report_overdue", "report_escalation")])


def timed_tick(engine, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        tick(engine, now=NOW, render=render)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        engine = make_engine(f"sqlite:///{Path(name) / 'tick.db'}")
        tick(engine, now=NOW, render=render)  # the campaign's past reminders, out of the way
        fill(engine, args.small)
        small = timed_tick(engine)
        fill(engine, args.large - args.small)
        large = timed_tick(engine)
        print(f"tick, {args.small:>7} dossiers en suivi, rien de dû : {small * 1000:8.1f} ms")
        print(f"tick, {args.large:>7} dossiers en suivi, rien de dû : {large * 1000:8.1f} ms")
        print(f"ratio                                         : {large / small:8.2f} "
              "(objectif ≤ 1.5)")
        with engine.begin() as connection:
            ids = connection.execute(select(DueWork.id).where(DueWork.kind == "report_reminder")
                                     .order_by(DueWork.id).limit(args.due)).scalars().all()
            connection.execute(update(DueWork).where(DueWork.id.in_(ids)).values(
                due_at=NOW - timedelta(hours=1)))
        started = time.perf_counter()
        done = tick(engine, now=NOW, render=render)
        elapsed = time.perf_counter() - started
        print(f"tick, {sum(done.values())} rappels dus parmi {args.large} dossiers : "
              f"{elapsed:8.2f} s ({elapsed / max(sum(done.values()), 1) * 1000:.1f} ms par rappel)")


if __name__ == "__main__":
    main()
