"""Webhooks, the writing side: every transition of a dossier queues one delivery per URL of its
guichet's ``[[webhooks]]``, in the transition's own transaction, so that nothing is lost when a
receiver is down and nothing is sent for a transition rolled back (notifications.webhooks
delivers them)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from workflow import context
from workflow.clock import shown
from workflow.models import Dossier, Guichet


def payload(loaded: context.Loaded, dossier: Dossier, *, event: str, source: str | None,
            dest: str, at: datetime, actor: str) -> str:
    """The JSON a receiver gets, exactly as it is signed."""
    return json.dumps({"guichet": loaded.id, "reference": dossier.reference, "event": event,
                       "from": source, "to": dest, "at": shown(at, loaded.tz), "actor": actor,
                       "version": dossier.version}, ensure_ascii=False, separators=(",", ":"))


def queue(session: Session, dossier: Dossier, **transition: Any) -> None:
    """One delivery per URL of the guichet (none for a URL that answered 410 Gone), for a
    filing or an event of the lifecycle table; the staff's other actions (links revoked) are
    not transitions."""
    from states.lifecycle import BY_EVENT
    from workflow.records import WebhookDelivery, WebhookGone

    if transition["event"] != "submit" and transition["event"] not in BY_EVENT:
        return

    row = session.get(Guichet, dossier.guichet_id)  # read already by the event: no statement
    assert row is not None
    loaded = context.Loaded(row)
    hooks = loaded.config.webhooks
    if not hooks:
        return
    gone = set(session.exec(select(WebhookGone.url).where(
        WebhookGone.guichet_id == loaded.id)))
    body = payload(loaded, dossier, **transition)
    for hook in hooks:
        if hook.url not in gone:
            session.add(WebhookDelivery(guichet_id=loaded.id, url=hook.url, body=body,
                                        next_attempt_at=transition["at"],
                                        created_at=transition["at"]))
