"""Queueing into the outbox: messages rendered once, in the transaction that caused them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import insert
from sqlmodel import Session

from workflow.db import PendingMessage, Renderer
from workflow.models import table
from workflow.records import Outbox


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def store_messages(session: Session, messages: Iterable[PendingMessage], render: Renderer) -> None:
    rows = []
    for message in messages:
        subject, text, html, ics = render(message.template, message.context,
                                          override=message.templates)
        assert message.created_at is not None
        rows.append({
            "guichet_id": message.guichet,
            "dedup_key": message.dedup_key,
            "message_id": new_message_id(message.mail_domain),
            "recipient": message.recipient,
            "subject": subject,
            "text": text,
            "html": html,
            "ics": ics or message.ics,
            "attachment_name": message.attachment[0] if message.attachment else None,
            "attachment": message.attachment[1] if message.attachment else None,
            "reference": message.reference,
            "kind": message.template,
            "status": "held" if message.held_session_id else "queued",
            "held_session_id": message.held_session_id,
            "attempts": 0,
            "next_attempt_at": message.created_at,
            "created_at": message.created_at,
        })
    # One multi-row Core INSERT: no ORM objects nobody reads in this transaction.
    session.connection().execute(insert(table(Outbox)), rows)
