"""Many dossiers on PostgreSQL: `dossier list --state`, `budget` and `tick` each under a second,
with the query plans that show the indexes at work.

    python bench/scale.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test [--dossiers N]
    python bench/scale.py --db … --guichets 100 --dossiers 10000

The first form puts N dossiers (a million by default) in one guichet. The second puts N dossiers
in each of G guichets (a national base: a million in all) and times one guichet's commands and
the tick of every guichet; as its baseline, in the same run, it times the same commands on one
guichet of N dossiers alone in its base. The indexes lead with the guichet: one guichet's list
and budget cost what they cost alone, whatever the others hold.
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
from tests.helpers import EXAMPLE, at, postgres_schema  # noqa: E402
from workflow import guichet, loading, views  # noqa: E402
from workflow.db import UnitOfWork, engine_for  # noqa: E402
from workflow.migrate import upgrade  # noqa: E402

# One dossier in a thousand on a committee agenda, the rest spread over the other states.
STATES = "ARRAY['submitted','instruction','accepted','follow_up','completed','withdrawn'," \
         "'refused']"
FILL = f"""
INSERT INTO dossier (guichet_id, reference, revision, state, version, measure, department,
    applicant_name, applicant_kind, siren, title, title_key, owner_email, total_cost_cents,
    requested_cents, awarded_cents, end_date, form, submitted_at, updated_at, link_key)
SELECT g.id, g.reference_prefix || '-' || n, 1,
    CASE WHEN n % 1000 = 0 THEN 'committee' ELSE ({STATES})[1 + n % 7] END, 1,
    (ARRAY['3a','3b','3c'])[1 + n % 3], (ARRAY['22','29','35','56'])[1 + n % 4],
    'Commune ' || n, 'commune', '212900096', 'Projet ' || n, 'projet ' || n, 'o@example.org',
    2000000, 1500000, 1000, DATE '2022-06-30', '{{}}', now(), now(), md5(random()::text)
FROM guichet AS g, generate_series(1, :count) AS n;
INSERT INTO due_work (guichet_id, key, kind, dossier_id, period, due_at, status)
SELECT guichet_id, concat_ws(chr(58), 'report_reminder', id, '-', '2022-Q1'), 'report_reminder',
    id, '2022-Q1', make_timestamp(2022, 4, 8, 6, 0, 0), 'pending' FROM dossier
WHERE state = 'follow_up';
ANALYZE dossier; ANALYZE due_work;
"""
ACCEPTS = """
INSERT INTO audit (guichet_id, dossier_id, action, event, from_state, to_state, at, actor, data)
SELECT guichet_id, id, 'dossier.accept', 'accept', 'committee', 'accepted',
    make_timestamp(2021, 6, 22, 8, 0, 0), 'coordination.sgar@example.org', '{}'
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
                print(f"    {line if len(line) < 200 else line[:200] + ' …'}")
    finally:
        raw.close()


def timed(label: str, fn) -> float:
    started = time.perf_counter()
    result = fn()
    took = time.perf_counter() - started
    print(f"{label:<44} {took:6.3f} s  ({result})")
    return took


def _prefix(n: int) -> str:
    """A reference prefix of letters only (GAA, GAB, …), one per guichet."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "G" + letters[n // 26 % 26] + letters[n % 26]


def _guichets(engine, count: int) -> None:
    """``count`` guichets shaped like Bretagne's, each its id, prefix, staff and calendar."""
    source = EXAMPLE.read_text(encoding="utf-8")
    for n in range(count):
        text_ = (source.replace('id = "bretagne-2021"', f'id = "g{n:03d}"')
                 .replace('reference_prefix = "BZH"', f'reference_prefix = "{_prefix(n)}"'))
        config = guichet.parse_text(text_)
        with UnitOfWork(engine, write=True, render=render) as uow:
            loading.load(uow, config, text_, now=at("2021-05-01 09:00"),
                         folder=str(EXAMPLE.parent))
            uow.commit()


def fill(url: str, guichets: int, dossiers: int):
    """A fresh base of ``guichets`` guichets, ``dossiers`` in each, decided and vacuumed."""
    upgrade(engine_for(url))  # the schema as `comite init` makes it (Alembic)
    engine = engine_for(url)
    started = time.perf_counter()
    _guichets(engine, guichets)
    with engine.begin() as connection:
        for statement in FILL.split(";"):
            if statement.strip():
                connection.execute(text(statement), {"count": dossiers})
        connection.execute(text(ACCEPTS))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # What autovacuum does on a live base: the visibility map that index-only scans need.
        for table in ("dossier", "audit", "due_work", "guichet"):
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"{guichets} guichet(s) × {dossiers} dossiers prêts en "
          f"{time.perf_counter() - started:.0f} s")
    return engine


def measure(engine, one: str, *, plans: bool) -> dict[str, float]:
    """One guichet's list and budget, then the tick of every guichet (what was due, then idle)."""
    listing, envelope, idle = Statements(engine), Statements(engine), Statements(engine)
    took = {}
    with UnitOfWork(engine, guichet=one) as uow:
        with listing:
            took["list"] = timed(f"dossier list --state committee ({one})", lambda: (
                f"{len(views.dossier_list(uow.session, state='committee'))} dossiers"))
        with envelope:
            took["budget"] = timed(f"budget ({one})", lambda: (
                f"engagé {views.budget(uow.session)['committed_eur']} €"))
    timed("tick (dû : listes de mai à juillet, rappels)",
          lambda: sum(tick(engine, now=at("2021-08-01 09:00"), render=render).values()))
    with idle:
        took["tick"] = timed("tick (rien de dû)", lambda: dict(
            tick(engine, now=at("2021-08-01 09:05"), render=render)) or "rien")
    if plans:
        explain(engine, "dossier list --state committee", listing, "dossier")
        explain(engine, "budget", envelope, "dossier")
        explain(engine, "tick", idle, "due_work")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL")
    parser.add_argument("--dossiers", type=int, default=None,
                        help="dossiers per guichet (1 000 000 alone, 10 000 with --guichets)")
    parser.add_argument("--guichets", type=int, default=1)
    arguments = parser.parse_args()
    per = arguments.dossiers or (1_000_000 if arguments.guichets == 1 else 10_000)
    runs = [(1, "seul dans sa base")] if arguments.guichets == 1 else [
        (1, "référence : un guichet seul dans sa base"),
        (arguments.guichets, f"un guichet parmi {arguments.guichets}")]
    results = {}
    for count, title in runs:
        print(f"--- {title}")
        url, drop = postgres_schema(arguments.db)
        try:
            engine = fill(url, count, per)
            results[count] = measure(engine, "g000", plans=count == arguments.guichets)
            engine.dispose()
        finally:
            drop()
    if arguments.guichets > 1:
        alone, among = results[1], results[arguments.guichets]
        print(f"--- un guichet parmi {arguments.guichets} / seul (objectif : chaque commande "
              "sous 1 s)")
        for key, label in (("list", "dossier list --state"), ("budget", "budget"),
                           ("tick", "tick (rien de dû, tous les guichets)")):
            verdict = "ok" if among[key] < 1 else "TROP LENT"
            print(f"{label:<40} {among[key]:6.3f} s / {alone[key]:6.3f} s = "
                  f"{among[key] / alone[key]:5.2f} × ; {verdict}")


if __name__ == "__main__":
    main()
