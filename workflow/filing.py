"""Filing online: a guichet that opens filings (``[filing] opens_on``, ``closes_on``) takes the
application form on its public page, with the rules of `dossier submit` (the same validation,
the refused-project rule, the receipt with its link) and a bound on how many dossiers one
address files in an hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from workflow import context
from workflow.errors import Refused
from workflow.models import Dossier

FILINGS_PER_HOUR = 5  # dossiers one contact address may file online in an hour, at most


def window(loaded: context.Loaded, now: datetime) -> dict[str, Any]:
    """Whether the guichet takes filings today, and from when to when (its own days)."""
    settings = loaded.config.filing
    if settings is None:
        return {"open": False, "opens_on": None, "closes_on": None}
    today = loaded.today(now)
    return {"open": settings.opens_on <= today <= settings.closes_on,
            "opens_on": settings.opens_on, "closes_on": settings.closes_on}


def _closed(loaded: context.Loaded, now: datetime) -> Refused | None:
    from workflow.french import short_date_fr

    found = window(loaded, now)
    if found["open"]:
        return None
    if found["opens_on"] is None:
        return Refused("ce guichet ne prend pas de dépôt en ligne : adressez votre dossier à la "
                       "préfecture")
    return Refused(f"le dépôt en ligne est ouvert du {short_date_fr(found['opens_on'])} au "
                   f"{short_date_fr(found['closes_on'])} : il est fermé aujourd'hui")


def file_online(uow: Any, *, data: Any, now: datetime) -> Dossier:
    """File the application form typed on the guichet's public page, by its contact."""
    from workflow.dossiers import file_form, parsed_form

    session = uow.session
    loaded = context.guichet(session)
    closed = _closed(loaded, now)
    if closed is not None:
        raise closed
    form = parsed_form(loaded, data, file=None, now=now)
    address = form.contact.email.lower()
    recent = session.exec(select(func.count()).select_from(Dossier).where(
        Dossier.guichet_id == loaded.id, func.lower(Dossier.owner_email) == address,
        Dossier.submitted_at >= now - timedelta(hours=1))).one()
    if int(recent) >= FILINGS_PER_HOUR:
        raise Refused(f"{FILINGS_PER_HOUR} dossiers déposés en une heure pour {address} : "
                      "réessayer plus tard")
    return file_form(uow, loaded, form, actor=address, filed_at=now, now=now,
                     data={"requested_eur": form.requested_eur})
