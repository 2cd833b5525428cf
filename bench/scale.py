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

from sqlalchemy import event, text  # noqa: E402

from notifications.render import render  # noqa: E402
from schedules.jobs import tick  # noqa: E402
from tests.helpers import at, make_engine, postgres_schema  # noqa: E402
from workflow import views  # noqa: E402
from workflow.db import UnitOfWork, engine_for  # noqa: E402
from workflow.migrate import upgrade  # noqa: E402

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
ACCEPTS = """
INSERT INTO audit (dossier_id, action, event, from_state, to_state, at, actor, data)
SELECT id, 'dossier.accept', 'accept', 'committee', 'accepted', make_timestamp(2021, 6, 22, 8, 0, 0),
    'coordination.sgar@example.org', '{}'
FROM dossier WHERE state IN ('accepted', 'agreement', 'follow_up', 'completed')
"""


class Statements:
    """The SQL a command sends, caught as it goes, to be EXPLAINed afterwards."""

    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._keep)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._keep)

    def _keep(self, _connection, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, parameters))


def explain(engine, label: str, statements: Statements, table: str) -> None:
    """EXPLAIN each statement of the command that reads ``table``."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements.seen:
            if f"FROM {table}" not in statement:
                continue
            print(f"EXPLAIN {label}")
            cursor.execute(f"EXPLAIN {statement}", parameters)
            for (line,) in cursor.fetchall():
                print(f"    {line}")
    finally:
        raw.close()


def timed(label: str, fn) -> None:
    started = time.perf_counter()
    result = fn()
    print(f"{label:<34} {time.perf_counter() - started:6.3f} s  ({result})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL")
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    arguments = parser.parse_args()
    url, drop = postgres_schema(arguments.db)
    try:
        upgrade(engine_for(url))  # the schema as `comite init` makes it (Alembic)
        engine = make_engine(url)
        started = time.perf_counter()
        with engine.begin() as connection:
            for statement in FILL.split(";"):
                if statement.strip():
                    connection.execute(text(statement), {"count": arguments.dossiers})
        print(f"{arguments.dossiers} dossiers créés en {time.perf_counter() - started:.0f} s")
        with engine.begin() as connection:
            connection.execute(text(ACCEPTS))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # What autovacuum does on a live base: the visibility map that index-only scans need.
            connection.execute(text("VACUUM ANALYZE dossier"))
            connection.execute(text("VACUUM ANALYZE audit"))
            connection.execute(text("VACUUM ANALYZE due_work"))
        print(f"… prêts (décisions, VACUUM) en {time.perf_counter() - started:.0f} s")
        listing, envelope, idle = Statements(engine), Statements(engine), Statements(engine)
        with UnitOfWork(engine) as uow:
            with listing:
                timed("dossier list --state committee",
                      lambda: f"{len(views.dossier_list(uow.session, state='committee'))} dossiers")
            with envelope:
                timed("budget", lambda: f"engagé {views.budget(uow.session)['committed_eur']} €")
        timed("tick (ce qui était dû : listes de mai à juillet, rappels de sessions)",
              lambda: dict(tick(engine, now=at("2021-08-01 09:00"), render=render)))
        with idle:
            timed("tick (rien de dû)",
                  lambda: dict(tick(engine, now=at("2021-08-01 09:05"), render=render)) or "rien")
        explain(engine, "dossier list --state committee", listing, "dossier")
        explain(engine, "budget", envelope, "dossier")
        explain(engine, "tick", idle, "due_work")
        engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
