"""One start_instruction, both ways, for `bench/events.py` on SQLite and on PostgreSQL: through
our services (`instruct`), and as the statements our service sends written by hand, with none of
our Python in between (`one_event`: no ORM, guards or templates). Both run against our own schema
with the guichet loaded (`submitted`). `composer` gives what no event can skip besides its SQL,
done by hand: the owner's link signed and the message rendered, for the bench's third side."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

ACTOR = "instructeur.29@example.org"
# Written with %s (psycopg); `qmark` turns them into sqlite3's ?.
READ = """SELECT d.*, g.*, s.*, (SELECT value FROM site_secret WHERE name = 'owner_links')
FROM dossier d JOIN guichet g ON g.id = d.guichet_id
LEFT JOIN staff s ON s.guichet_id = g.id AND lower(s.email) = %s AND s.active
WHERE d.reference = %s"""
AUDIT = """INSERT INTO audit (guichet_id, dossier_id, action, event, from_state, to_state, at,
actor, data) VALUES (%s, %s, 'dossier.start_instruction', 'start_instruction', %s, 'instruction',
CURRENT_TIMESTAMP, %s, '{}') RETURNING id"""
UPDATE = """UPDATE dossier SET state = 'instruction', version = version + 1,
updated_at = CURRENT_TIMESTAMP WHERE id = %s AND version = %s"""
OUTBOX = """INSERT INTO outbox (guichet_id, dedup_key, message_id, recipient, subject, text, html,
reference, kind, status, attempts, next_attempt_at, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'instruction_started', 'queued', 0, CURRENT_TIMESTAMP,
CURRENT_TIMESTAMP)"""


def submitted(url: str, count: int) -> list[str]:
    """``count`` dossiers filed on a fresh base of ours at ``url`` (schema and guichet made)."""
    from tests.helpers import Desk, form, make_engine

    engine = make_engine(url)
    desk = Desk(engine)
    references = [desk.submit(form(applicant={"department": "29"})) for _ in range(count)]
    engine.dispose()
    return references


def instruct(engine: Any, references: list[str]) -> None:
    """start_instruction on each dossier through our services, one transaction each."""
    from notifications.render import render
    from tests.helpers import INSTRUCTOR, at
    from workflow import events
    from workflow.db import UnitOfWork
    from workflow.dossiers import Request

    for reference in references:
        with UnitOfWork(engine, write=True, render=render) as uow:
            events.start_instruction(uow, Request(reference, INSTRUCTOR["29"],
                                                  at("2021-05-10 09:00")))
            uow.commit()


def qmark(statement: str) -> str:
    return statement.replace("%s", "?")


def sample_message() -> tuple[str, str, str]:
    """The subject, text and HTML of the message the service renders (rendered once here)."""
    from notifications.render import render
    from notifications.samples import SAMPLES

    subject, text, html, _ = render("instruction_started", SAMPLES["instruction_started"])
    return subject, text, html


def composer() -> Callable[[str, str], tuple[str, str, str]]:
    """A function giving, for a dossier and its owner, the subject, text and HTML of the message
    start_instruction sends: a fresh link signed as `workflow.links` signs it (itsdangerous, the
    base's key), then our templates rendered with it. No database, ORM, guard or unit of work."""
    import secrets
    from datetime import date

    from itsdangerous import URLSafeTimedSerializer

    from notifications.render import render
    from notifications.samples import SAMPLES
    from workflow.links import SALT

    serializer = URLSafeTimedSerializer(secrets.token_urlsafe(32), salt=SALT)
    sample = SAMPLES["instruction_started"]

    def composed(reference: str, owner: str) -> tuple[str, str, str]:
        token = serializer.dumps({"d": reference, "o": owner, "k": "bench-link-key"})
        subject, text, html, _ = render("instruction_started", {
            **sample, "reference": reference, "link": f"http://127.0.0.1:8000/lien/{token}",
            "link_until": date(2021, 6, 9)})
        return subject, text, html

    return composed


def one_event(execute: Callable[..., Any], reference: str,
              message: tuple[str, str, str] | Callable[[str, str], tuple[str, str, str]], *,
              style: Callable[[str], str] = str) -> None:
    """The four statements, in our order, inside the caller's transaction (the first read
    brings the key that signs the owner's link in the message). ``message`` is the message
    rendered once, or a `composer`'s function that composes it for each dossier."""
    cursor = execute(style(READ), (ACTOR, reference))
    row = cursor.fetchone()
    assert row is not None
    dossier: dict[str, Any] = {}
    for column, value in zip(cursor.description, row, strict=True):
        dossier.setdefault(column[0], value)  # the dossier's columns come first
    audit = execute(style(AUDIT), (dossier["guichet_id"], dossier["id"], dossier["state"],
                                   ACTOR)).fetchone()
    assert audit is not None
    updated = execute(style(UPDATE), (dossier["id"], dossier["version"]))
    assert updated.rowcount == 1
    if callable(message):
        message = message(reference, dossier["owner_email"])
    execute(style(OUTBOX), (dossier["guichet_id"], f"audit:{audit[0]}:{dossier['owner_email']}",
                            f"<{uuid.uuid4().hex}@bench.example.org>", dossier["owner_email"],
                            *message, reference))
