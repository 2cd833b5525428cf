"""The monthly XLSX for 10,000 laureates: time and peak memory (goals ≤ 3 s, ≤ 200 MB).

    python bench/reports.py [--laureates 10000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from reports.monthly import write  # noqa: E402
from tests.helpers import at, make_engine  # noqa: E402
from workflow.db import UnitOfWork  # noqa: E402
from workflow.models import Audit, Dossier, Report  # noqa: E402


def fill(engine, count: int) -> None:
    now = at("2021-06-22 10:00")
    with engine.begin() as connection:
        for offset in range(0, count, 5000):
            numbers = range(offset + 1, min(offset + 5000, count) + 1)
            connection.execute(insert(Dossier), [{
                "id": n, "guichet_id": "bretagne-2021", "reference": f"BZH-2021-{n:05d}",
                "state": "follow_up", "measure": "3c", "department": ("22", "29", "35", "56")[n % 4],
                "applicant_name": f"Commune n°{n}", "applicant_kind": "commune",
                "siren": "212900096", "title": f"Projet {n}", "title_key": f"projet {n}",
                "owner_email": "o@example.org", "total_cost_cents": 2_000_000,
                "requested_cents": 1_500_000, "awarded_cents": 1_000_000 + n,
                "end_date": date(2022, 6, 30), "signed_on": date(2021, 7, 1), "form": {},
                "submitted_at": now, "updated_at": now} for n in numbers])
            connection.execute(insert(Audit), [{
                "dossier_id": n, "action": "dossier.accept", "event": "accept", "at": now,
                "actor": "c@example.org", "data": {}} for n in numbers])
            connection.execute(insert(Report), [{
                "dossier_id": n, "period": "2021-Q3", "progress": "…", "percent_done": 30,
                "end_date": date(2022, 6, 30), "status": "on_track", "received_at": now,
                "companies": [{"name": "Atelier", "siren": "999123453", "department": "22"}]}
                for n in numbers])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laureates", type=int, default=10_000)
    count = parser.parse_args().laureates
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        engine = make_engine(f"sqlite:///{folder / 'reports.db'}")
        fill(engine, count)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with UnitOfWork(engine) as uow:
            report = write(uow.session, "2021-07", folder / "laureats.xlsx")
        elapsed = time.perf_counter() - started
        tracemalloc.start()  # a second run, traced, for the peak (tracing slows it down)
        with UnitOfWork(engine) as uow:
            write(uow.session, "2021-07", folder / "laureats-2.xlsx")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"XLSX, {len(report.lines)} lauréats : {elapsed:6.2f} s (objectif ≤ 3 s)")
        print(f"mémoire Python au plus haut : {peak / 2**20:6.1f} Mo (objectif ≤ 200 Mo); "
              f"RSS max du processus {rss / 1024:.0f} Mo (avant : {before / 1024:.0f} Mo)")


if __name__ == "__main__":
    main()
