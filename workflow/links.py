"""The owners' links: every email to a dossier's owner carries a link to the dossier's page.

The link holds a token signed with the base's key (itsdangerous) that names one dossier, its
owner's address and the dossier's link key, and the instant it was made: it is good for the
guichet's ``[web] link_days`` from the email that carried it (each new email brings a fresh
one). A coordinator revokes every link of a dossier at once by giving it a new link key. Anyone
may ask for a fresh link: it goes to the address on file, never elsewhere, at most
``LINKS_PER_HOUR`` times an hour, and the answer is the same whatever address was typed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import (
    BadData,
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy import func
from sqlmodel import Session, select

from workflow import context
from workflow.errors import ComiteError, InvalidInput
from workflow.models import Dossier, Guichet, SiteSecret

SALT = "comite.lien-porteur"
LINKS_PER_HOUR = 3  # fresh links sent to one address in an hour, at most
LINK_TEMPLATE = "owner_link"
DEFAULT_SITE = "http://127.0.0.1:8000"  # `comite serve`'s own address, when none is set


class LinkRefused(ComiteError):
    """A link that does not open its dossier: altered, expired, revoked or for another one."""

    exit_code = 1


@dataclass(frozen=True)
class Opened:
    """What a valid link opens: its guichet, its dossier, and the owner's address."""

    loaded: context.Loaded
    dossier: Dossier
    owner: str


class _AtNow(TimestampSigner):
    """A signer that reads the injected clock, not the machine's."""

    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        return int(self.now.timestamp())


def _serializer(session: Session, now: datetime) -> URLSafeTimedSerializer:
    # an event's first read brought it (context.for_event)
    key = session.info.get("links_secret")
    if key is None:
        found = session.get(SiteSecret, "owner_links")
        key = found.value if found is not None else None
    if key is None:  # made by migration 0006: a base without it was not upgraded
        raise ComiteError("clé des liens absente : lancer `comite init` pour mettre la base à jour")
    return URLSafeTimedSerializer(key, salt=SALT, signer=_AtNow, signer_kwargs={"now": now})


def _canonical(given: str) -> bool:
    """Each part of the token exactly as base64 writes it: the last character of a part also
    holds bits base64 ignores, and a link changed there must not open the dossier either."""
    return all(base64_encode(base64_decode(part)).decode() == part
               for part in given.removeprefix(".").split("."))


def site(loaded: context.Loaded, environ: Mapping[str, str] = os.environ) -> str:
    """The public address of the site, as owners reach it: COMITE_PUBLIC_URL, else the
    guichet's ``[web] public_url``, else `comite serve`'s default address."""
    given = environ.get("COMITE_PUBLIC_URL") or loaded.config.web.public_url or DEFAULT_SITE
    return given.rstrip("/")


def days(loaded: context.Loaded) -> int:
    return loaded.config.web.link_days


def token(session: Session, dossier: Dossier, now: datetime) -> str:
    return _serializer(session, now).dumps(
        {"d": dossier.reference, "o": dossier.owner_email.lower(), "k": dossier.link_key})


def link(session: Session, loaded: context.Loaded, dossier: Dossier,
         now: datetime) -> dict[str, Any]:
    """The link for an email to the owner, and the last day it opens the dossier."""
    until = loaded.today(now) + timedelta(days=days(loaded))
    return {"link": f"{site(loaded)}/lien/{token(session, dossier, now)}", "link_until": until}


def opened(session: Session, given: str, now: datetime) -> Opened:
    """The dossier a link opens, or LinkRefused saying why in words an owner understands."""
    serializer = _serializer(session, now)
    try:
        if not _canonical(given):
            raise BadSignature("not as signed")
        claims = serializer.loads(given, max_age=None)
    except BadData:
        raise LinkRefused("ce lien n'est pas valide : il a été modifié ou mal copié") from None
    reference = claims.get("d") if isinstance(claims, dict) else None
    if not isinstance(reference, str):
        raise LinkRefused("ce lien n'est pas valide : il a été modifié ou mal copié")
    found = session.exec(select(Dossier).where(Dossier.reference == reference)).first()
    if found is None:
        raise LinkRefused("ce lien ne mène à aucun dossier")
    loaded = context.Loaded(session.get(Guichet, found.guichet_id))  # type: ignore[arg-type]
    try:
        serializer.loads(given, max_age=days(loaded) * 86400)
    except SignatureExpired:
        raise LinkRefused(f"ce lien a expiré (il était valable {days(loaded)} jours) : "
                          "demandez-en un nouveau") from None
    if (not found.link_key or claims.get("k") != found.link_key
            or claims.get("o") != found.owner_email.lower()):
        raise LinkRefused("ce lien a été révoqué par la préfecture : demandez-en un nouveau")
    return Opened(loaded, found, found.owner_email)


def revoke(uow: Any, reference: str, actor: str | None, now: datetime,
           reason: str | None = None) -> Dossier:
    """Every link of the dossier sent so far stops opening it (coordinators only)."""
    from states.lifecycle import DossierState
    from workflow.dossiers import record
    from workflow.forms import motivation

    motivation(reason)
    loaded, dossier, who = context.for_event(uow.session, reference, actor)
    context.require_coordinator(who)
    dossier.link_key = secrets.token_urlsafe(12)
    dossier.updated_at = now
    uow.session.add(dossier)
    state = DossierState(dossier.state)
    record(uow.session, dossier, "revoke_links", state, state, actor=who.email, now=now,
           reason=reason)
    return dossier


def send_fresh(uow: Any, email: str, now: datetime) -> int:
    """Email a fresh link to each dossier whose owner is ``email`` (in every guichet of the
    base), unless that address had ``LINKS_PER_HOUR`` already in the past hour. Returns how many
    were queued; the page that asks says the same words either way."""
    from workflow import messages
    from workflow.forms import _email
    from workflow.records import Outbox

    try:
        address = _email(email).lower()
    except ValueError as error:
        raise InvalidInput(str(error), field="email") from None
    session = uow.session
    sent = session.exec(select(func.count()).select_from(Outbox).where(
        func.lower(Outbox.recipient) == address,
        Outbox.dedup_key.like(f"{LINK_TEMPLATE}:%"),  # type: ignore[attr-defined]
        Outbox.created_at >= now - timedelta(hours=1))).one()
    owned = session.exec(select(Dossier, Guichet).join(Guichet).where(  # type: ignore[arg-type]
        func.lower(Dossier.owner_email) == address).order_by(Dossier.reference)).all()
    room = max(LINKS_PER_HOUR - int(sent), 0)
    for dossier, guichet in owned[:room]:
        messages.to_owner(uow, context.Loaded(guichet), dossier, LINK_TEMPLATE,
                          # each request its own message (two in the same instant too)
                          key=f"{LINK_TEMPLATE}:{dossier.id}:{secrets.token_urlsafe(9)}", now=now)
    return min(len(owned), room)
