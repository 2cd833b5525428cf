"""Webhooks, the delivering side: claim due deliveries (SKIP LOCKED where supported), POST each
outside any transaction, signed, then record what the receiver said, as the outbox does.

The signature: ``X-Comite-Signature: t=TIMESTAMP,v1=HEX``, HEX being HMAC-SHA256 with the URL's
secret over ``TIMESTAMP.BODY`` (the timestamp is also in ``X-Comite-Timestamp``); a receiver
checks it and refuses an old timestamp. 2xx: sent. 410 Gone: that URL gets nothing more. 5xx, a
timeout or no answer: tried again with a growing delay, given up (dead) after a bound; another
4xx: dead at once (the receiver refuses it). A crash between the POST and its record leaves the
delivery `inflight`: it is sent again later, so a receiver may get one extra copy per crash,
never none.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import col, select

from notifications import outbox
from notifications.outbox import RetryPolicy
from workflow.db import UnitOfWork, by_key, insert_new
from workflow.errors import NotFound, Refused
from workflow.records import WebhookDelivery, WebhookGone

STATUS_LABELS = {"queued": "en file", "inflight": "en cours d'envoi", "retrying": "à réessayer",
                 "sent": "remis", "dead": "abandonné", "gone": "adresse disparue (410)"}
TIMEOUT = 10.0  # seconds a receiver has to answer
POLICY = RetryPolicy()  # the outbox's: from a minute to six hours, ten tries, three days


@dataclass(frozen=True)
class Claimed:
    id: int
    guichet_id: str
    url: str
    body: str
    attempts: int
    created_at: datetime


def signature(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def requeue_stuck(engine: Engine, *, now: datetime, policy: RetryPolicy,
                  guichet: str | None = None) -> int:
    """Deliveries left `inflight` by a crashed process go back to the queue."""
    return outbox.requeue_stuck(engine, now=now, policy=policy, guichet=guichet,
                                model=WebhookDelivery)


def claim(engine: Engine, *, now: datetime, limit: int,
          guichet: str | None = None) -> list[Claimed]:
    with UnitOfWork(engine, write=True) as uow:
        claimed = [Claimed(row.id, row.guichet_id, row.url, row.body, row.attempts,
                           row.created_at)
                   for row in outbox.take_due(uow.session, now=now, limit=limit,
                                              guichet=guichet, model=WebhookDelivery)]
        uow.commit()
    return claimed


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[str, str | None]:
    """What the receiver said: (sent | gone | temporary | refused, its words)."""
    import httpx2

    try:
        answer = httpx2.post(url, content=body.encode(), headers=headers, timeout=TIMEOUT)
    except httpx2.TimeoutException:
        return "temporary", f"pas de réponse en {TIMEOUT:.0f} s"
    except httpx2.HTTPError as error:
        return "temporary", f"injoignable ({type(error).__name__} : {error})"
    said = f"{answer.status_code} {answer.reason_phrase}".strip()
    if answer.is_success:
        return "sent", None
    if answer.status_code == 410:
        return "gone", said
    if answer.status_code >= 500 or answer.status_code in (408, 429):
        return "temporary", said
    return "refused", said


def _record(engine: Engine, delivery: Claimed, outcome: tuple[str, str | None], *,
            now: datetime, policy: RetryPolicy, rng: random.Random) -> str:
    kind, said = outcome
    values: dict[str, Any] = {"claimed_at": None, "last_error": said}
    later = (policy.retry_at(delivery.attempts, delivery.created_at, now, rng)
             if kind == "temporary" else None)
    if kind in ("sent", "gone"):
        values.update(status=kind, **({"sent_at": now} if kind == "sent" else {}))
    elif later is not None:
        values.update(status="retrying", next_attempt_at=later)
    else:
        values.update(status="dead")
    with UnitOfWork(engine, write=True) as uow:
        uow.session.execute(update(WebhookDelivery).where(
            col(WebhookDelivery.id) == delivery.id,
            col(WebhookDelivery.status) == "inflight").values(**values))
        if kind == "gone":  # that URL gets no more: neither what waits nor what comes
            insert_new(uow.session, WebhookGone, [{"guichet_id": delivery.guichet_id,
                                                   "url": delivery.url, "at": now}],
                       unique=("guichet_id", "url"))
            uow.session.execute(update(WebhookDelivery).where(
                col(WebhookDelivery.guichet_id) == delivery.guichet_id,
                col(WebhookDelivery.url) == delivery.url,
                col(WebhookDelivery.status).in_(["queued", "retrying"])).values(
                status="gone", last_error=said))
        uow.commit()
    return str(values["status"])


def _secrets(engine: Engine, environ: Mapping[str, str]) -> dict[tuple[str, str], str | None]:
    """Each (guichet, URL)'s secret, read from the environment variable its TOML names."""
    from workflow import context

    with UnitOfWork(engine) as uow:
        return {(loaded.id, hook.url): environ.get(hook.secret_env)
                for loaded in context.every_guichet(uow.session)
                for hook in loaded.config.webhooks}


def deliver_due(engine: Engine, *, now: Callable[[], datetime], environ: Mapping[str, str],
                policy: RetryPolicy = POLICY, limit: int = 100,
                rng: random.Random | None = None, guichet: str | None = None,
                post: Callable[[str, str, dict[str, str]], tuple[str, str | None]] = _post,
                ) -> dict[str, int]:
    """Everything due now (of every guichet, or of ``guichet``), once: how many ended in each
    status."""
    rng = rng or random.Random()
    requeue_stuck(engine, now=now(), policy=policy, guichet=guichet)
    secrets = _secrets(engine, environ)
    done: dict[str, int] = {}
    while True:
        batch = claim(engine, now=now(), limit=limit, guichet=guichet)
        if not batch:
            return done
        for delivery in batch:
            secret = secrets.get((delivery.guichet_id, delivery.url))
            if secret is None:
                outcome: tuple[str, str | None] = (
                    "temporary", "secret absent de l'environnement (ou URL ôtée du guichet)")
            else:
                stamp = int(now().timestamp())
                outcome = post(delivery.url, delivery.body, {
                    "Content-Type": "application/json", "User-Agent": "comite-webhooks",
                    "X-Comite-Timestamp": str(stamp),
                    "X-Comite-Signature": signature(secret, stamp, delivery.body)})
            status = _record(engine, delivery, outcome, now=now(), policy=policy, rng=rng)
            done[status] = done.get(status, 0) + 1


def listing(engine: Engine, *, status: str | None = None,
            guichet: str | None = None) -> list[dict[str, Any]]:
    import json

    from workflow.clock import shown

    with UnitOfWork(engine) as uow:
        query = select(WebhookDelivery).order_by(col(WebhookDelivery.id))
        if status is not None:
            query = query.where(col(WebhookDelivery.status) == status)
        if guichet is not None:
            query = query.where(col(WebhookDelivery.guichet_id) == guichet)
        rows = uow.session.exec(query).all()
        listed = []
        for row in rows:
            sent = json.loads(row.body)  # what the receiver gets: its event and reference
            listed.append({"id": row.id, "guichet": row.guichet_id, "url": row.url,
                           "status": row.status, "attempts": row.attempts,
                           "event": sent["event"], "reference": sent["reference"],
                           "last_error": row.last_error,
                           "created_at": shown(row.created_at, "UTC"),
                           "sent_at": shown(row.sent_at, "UTC") if row.sent_at else None})
        return listed


def retry(engine: Engine, delivery_id: int, *, now: datetime, guichet: str | None = None) -> None:
    """A delivery given up (dead) or gone is queued again; its URL is no longer held gone."""
    from workflow import context

    with UnitOfWork(engine, write=True, guichet=guichet) as uow:
        row = by_key(uow.session, WebhookDelivery, delivery_id)
        if row is None:
            raise NotFound(f"aucune livraison n° {delivery_id}", field="ID")
        context.in_scope(uow.session, row.guichet_id, f"la livraison n° {delivery_id}")
        if row.status not in ("dead", "gone"):
            raise Refused(f"la livraison n° {delivery_id} est « {STATUS_LABELS[row.status]} » : "
                          "seule une livraison abandonnée ou disparue se relance")
        gone = uow.session.get(WebhookGone, (row.guichet_id, row.url))
        if gone is not None:
            uow.session.delete(gone)
        row.status, row.next_attempt_at, row.attempts = "queued", now, 0
        uow.session.add(row)
        uow.commit()
