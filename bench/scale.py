"""One million dossiers on PostgreSQL: `dossier list --state`, `budget` and `tick` each under a
second, with the query plans that show the indexes at work.

    python bench/scale.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test [--dossiers N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.bench_pg import drop, schema_url  # noqa: E402
from notifications.render import render  # noqa: E402
from schedules.jobs import tick  # noqa: E402
from tests.helpers import at, make_engine  # noqa: E402
from workflow import views  # noqa: E402
from workflow.db import UnitOfWork  # noqa: E402

# One dossier in a thousand on a committee agenda, the rest spread over the other states.
STATES = "ARRAY['submitted','instruction','accepted','follow_up','completed','withdrawn'," \
         "'refused']"
FILL = f"""
INSERT INTO dossier (guichet_id, reference, revision, state, version, measure, department,
    applicant_name, applicant_kind, siren, title, title_key, owner_email, total_cost_cents,
    requested_cents, awarded_cents, end_date, form, submitted_at, updated_at)
SELECT 'bretagne-2021', 'BZH-' || n, 1,
    CASE WHEN n % 1000 = 0 THEN 'committee' ELSE ({STATES})[1 + n % 7] END, 1,
    (ARRAY['3a','3b','3c'])[1 + n % 3], (ARRAY['22','29','35','56'])[1 + n % 4],
    'Commune ' || n, 'commune', '212900096', 'Projet ' || n, 'projet ' || n, 'o@example.org',
    2000000, 1500000, 1000, DATE '2022-06-30', '{{}}', now(), now()
FROM generate_series(1, :count) AS n;
INSERT INTO due_work (key, kind, dossier_id, period, due_at, status)
SELECT concat_ws(chr(58), 'report_reminder', id, '-', '2022-Q1'), 'report_reminder', id,
    '2022-Q1', make_timestamp(2022, 4, 8, 6, 0, 0), 'pending' FROM dossier
WHERE state = 'follow_up';
ANALYZE dossier; ANALYZE due_work;
"""
PLANS = {
    "dossier list --state committee":
        "SELECT * FROM dossier WHERE guichet_id = 'bretagne-2021' AND state = 'committee' "
        "ORDER BY reference",
    "budget": "SELECT department, measure, count(*), sum(awarded_cents) FROM dossier "
              "WHERE guichet_id = 'bretagne-2021' AND state IN ('accepted', 'agreement', "
              "'follow_up', 'completed') GROUP BY department, measure",
    "tick": "SELECT id FROM due_work WHERE status = 'pending' AND due_at <= "
            "make_timestamp(2021, 8, 1, 7, 0, 0) ORDER BY due_at, id",
}


def timed(label: str, fn) -> None:
    started = time.perf_counter()
    result = fn()
    print(f"{label:<34} {time.perf_counter() - started:6.3f} s  ({result})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL")
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    arguments = parser.parse_args()
    schema, url = schema_url(arguments.db)
    try:
        engine = make_engine(url)
        started = time.perf_counter()
        with engine.begin() as connection:
            for statement in FILL.split(";"):
                if statement.strip():
                    connection.execute(text(statement), {"count": arguments.dossiers})
        print(f"{arguments.dossiers} dossiers créés en {time.perf_counter() - started:.0f} s")
        with UnitOfWork(engine) as uow:
            timed("dossier list --state committee",
                  lambda: f"{len(views.dossier_list(uow.session, state='committee'))} dossiers")
            timed("budget", lambda: f"engagé {views.budget(uow.session)['committed_eur']} €")
        timed("tick (ce qui était dû : listes de mai à juillet, rappels de sessions)",
              lambda: dict(tick(engine, now=at("2021-08-01 09:00"), render=render)))
        timed("tick (rien de dû)",
              lambda: dict(tick(engine, now=at("2021-08-01 09:05"), render=render)) or "rien")
        with engine.connect() as connection:
            for label, query in PLANS.items():
                print(f"EXPLAIN {label}")
                for (line,) in connection.execute(text(f"EXPLAIN {query}")):
                    print(f"    {line}")
        engine.dispose()
    finally:
        drop(arguments.db, schema)


if __name__ == "__main__":
    main()
