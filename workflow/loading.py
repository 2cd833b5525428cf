"""`comite init`: load a guichet file, or bring the stored guichet up to date with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

from states.guards import ROLE_LABELS
from workflow import context, due
from workflow.context import SYSTEM, Loaded
from workflow.db import UnitOfWork
from workflow.errors import Refused
from workflow.guichet import GuichetFile
from workflow.models import Audit, CommitteeSession, Department, Guichet, Staff


def _sync_departments(uow: UnitOfWork, config: GuichetFile, changes: list[str]) -> None:
    gid = config.guichet.id
    stored = {d.code: d for d in uow.session.exec(select(Department)
                                                  .where(Department.guichet_id == gid))}
    for entry in config.departments:
        values: dict[str, Any] = {"name": entry.name, "contact_name": entry.prefecture_contact.name,
                  "contact_email": entry.prefecture_contact.email}
        row = stored.get(entry.code)
        if row is None:
            uow.session.add(Department(guichet_id=gid, code=entry.code, **values))
            changes.append(f"département {entry.code} ajouté")
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            uow.session.add(row)
            changes.append(f"département {entry.code} mis à jour")


def _sync_staff(uow: UnitOfWork, config: GuichetFile, changes: list[str]) -> None:
    gid = config.guichet.id
    stored = {s.email.lower(): s for s in uow.session.exec(select(Staff)
                                                           .where(Staff.guichet_id == gid))}
    listed = set()
    for entry in config.staff:
        email = entry.email.lower()
        listed.add(email)
        values: dict[str, Any] = {"name": entry.name, "role": entry.role, "department": entry.department,
                  "active": True}
        row = stored.get(email)
        if row is None:
            uow.session.add(Staff(guichet_id=gid, email=email, **values))
            changes.append(f"{email} ajouté ({ROLE_LABELS[entry.role]})")
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            uow.session.add(row)
            changes.append(f"{email} mis à jour")
    for email, row in stored.items():
        if email not in listed and row.active:
            row.active = False  # kept for the audit trail, no longer allowed to act
            uow.session.add(row)
            changes.append(f"{email} retiré de l'équipe")


def _sync_sessions(uow: UnitOfWork, config: GuichetFile, changes: list[str],
                   loaded: Loaded, now: datetime) -> None:
    gid = config.guichet.id
    stored = list(uow.session.exec(select(CommitteeSession)
                                   .where(CommitteeSession.guichet_id == gid)))
    known = {s.day for s in stored} | {s.moved_from for s in stored if s.moved_from}
    for entry in config.sessions:
        if entry.date in known:
            continue
        committee = CommitteeSession(guichet_id=gid, day=entry.date, moved_from=entry.moved_from)
        uow.session.add(committee)
        uow.session.flush()
        due.plan_session(uow.session, loaded, committee, now)
        changes.append(f"session du {entry.date.isoformat()} ajoutée")


def _envelopes_cover_commitments(uow: UnitOfWork, config: GuichetFile, loaded: Loaded) -> None:
    """An envelope may shrink, never below what the committee has already awarded from it."""
    from states.money import eur_fr
    from workflow.context import committed

    settings = config.guichet
    pools = [(None, settings.envelope_eur), *settings.envelopes.items()]
    for pool, envelope in pools:
        measures: list[str] = [pool] if pool else [m for m in settings.measures
                                                   if m not in settings.envelopes]
        awarded = committed(uow.session, loaded, measures)
        if envelope < awarded:
            field = f"guichet.envelopes.{pool}" if pool else "guichet.envelope_eur"
            raise Refused(f"{field} : l'enveloppe ({eur_fr(envelope)}) serait inférieure à ce qui "
                          f"est déjà engagé ({eur_fr(awarded)}) ; la garder au moins à ce montant")


def load(uow: UnitOfWork, config: GuichetFile, text: str, *, now: datetime,
         folder: str | None = None) -> dict[str, Any]:
    """Create or update the guichet; returns what changed (nothing the second time)."""
    settings = config.guichet
    context.in_scope(uow.session, settings.id, "le fichier")
    # The reference prefix names the guichet of a reference: no two guichets share one.
    other = uow.session.exec(select(Guichet).where(
        Guichet.id != settings.id, Guichet.reference_prefix == settings.reference_prefix)).first()
    if other is not None:
        raise Refused(f"guichet.reference_prefix : le préfixe {settings.reference_prefix} est déjà "
                      f"celui du guichet « {other.id} » de cette base ; en choisir un autre")
    row = uow.session.get(Guichet, settings.id)
    changes: list[str] = []
    values: dict[str, Any] = {"name": settings.name, "reference_prefix": settings.reference_prefix,
              "timezone": settings.timezone, "envelope_cents": settings.envelope_eur,
              "settings": {"toml": text, "folder": folder}}
    if row is None:
        row = Guichet(id=settings.id, loaded_at=now, **values)
        changes.append(f"guichet « {settings.id} » créé")
    elif any(getattr(row, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(row, key, value)
        row.loaded_at = now
        changes.append("paramètres du guichet mis à jour")
    uow.session.add(row)
    uow.session.flush()
    _envelopes_cover_commitments(uow, config, Loaded(row))
    _sync_departments(uow, config, changes)
    _sync_staff(uow, config, changes)
    _sync_sessions(uow, config, changes, Loaded(row), now)
    if changes:
        uow.session.add(Audit(guichet_id=settings.id, action="guichet.load", event="init", at=now,
                              actor=SYSTEM,
                              data={"changes": changes}))
    return {"guichet": settings.id, "changes": changes}
