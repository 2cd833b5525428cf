"""One start_instruction written by hand: the statements our service sends, with none of our
Python in between (no ORM, guards or templates). The raw side of `bench/events.py`, on SQLite
and on PostgreSQL, runs this against our own schema with the guichet loaded."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

ACTOR = "instructeur.29@example.org"
# Written with %s (psycopg); `qmark` turns them into sqlite3's ?.
READ = """SELECT d.*, g.*, s.* FROM dossier d JOIN guichet g ON g.id = d.guichet_id
LEFT JOIN staff s ON s.guichet_id = g.id AND lower(s.email) = %s AND s.active
WHERE d.reference = %s"""
AUDIT = """INSERT INTO audit (dossier_id, action, event, from_state, to_state, at, actor, data)
VALUES (%s, 'dossier.start_instruction', 'start_instruction', %s, 'instruction',
CURRENT_TIMESTAMP, %s, '{}') RETURNING id"""
UPDATE = """UPDATE dossier SET state = 'instruction', version = version + 1,
updated_at = CURRENT_TIMESTAMP WHERE id = %s AND version = %s"""
OUTBOX = """INSERT INTO outbox (dedup_key, message_id, recipient, subject, text, html, reference,
kind, status, attempts, next_attempt_at, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, 'instruction_started', 'queued', 0, CURRENT_TIMESTAMP,
CURRENT_TIMESTAMP)"""


def qmark(statement: str) -> str:
    return statement.replace("%s", "?")


def sample_message() -> tuple[str, str, str]:
    """The subject, text and HTML of the message the service renders (rendered once here)."""
    from notifications.render import render
    from notifications.samples import SAMPLES

    subject, text, html, _ = render("instruction_started", SAMPLES["instruction_started"])
    return subject, text, html


def one_event(execute: Callable[..., Any], reference: str, message: tuple[str, str, str], *,
              style: Callable[[str], str] = str) -> None:
    """The four statements, in our order, inside the caller's transaction."""
    cursor = execute(style(READ), (ACTOR, reference))
    row = cursor.fetchone()
    assert row is not None
    dossier: dict[str, Any] = {}
    for column, value in zip(cursor.description, row, strict=True):
        dossier.setdefault(column[0], value)  # the dossier's columns come first
    audit = execute(style(AUDIT), (dossier["id"], dossier["state"], ACTOR)).fetchone()
    assert audit is not None
    updated = execute(style(UPDATE), (dossier["id"], dossier["version"]))
    assert updated.rowcount == 1
    execute(style(OUTBOX), (f"audit:{audit[0]}:{dossier['owner_email']}",
                            f"<{uuid.uuid4().hex}@bench.example.org>", dossier["owner_email"],
                            *message, reference))
