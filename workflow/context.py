"""What services need around a dossier: the guichet, who acts, the sessions, the envelope."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from states.guards import Actor, SessionView
from states.lifecycle import COMMITTED
from workflow.clock import local_day
from workflow.errors import InvalidInput, NotFound
from workflow.models import AgendaItem, CommitteeSession, Dossier, Guichet, SiteSecret, Staff, table

if TYPE_CHECKING:
    from workflow.guichet import GuichetFile

# The engine's own name in the audit trail (scheduler, loading): never someone who acts.
SYSTEM = "system"


@dataclass
class Loaded:
    """The guichet row, and its configuration parsed on first use (read commands rarely need it)."""

    row: Guichet

    @property
    def templates(self) -> str | None:
        """The guichet's own templates folder, resolved against its TOML file's folder."""
        from pathlib import Path

        folder = self.config.guichet.templates
        if folder is None:
            return None
        return str(Path(self.row.settings.get("folder") or ".") / folder)

    @cached_property
    def config(self) -> GuichetFile:
        from workflow.guichet import from_stored

        return from_stored(self.row.settings)

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def tz(self) -> str:
        return self.row.timezone

    def today(self, now: datetime) -> date:
        return local_day(now, self.tz)


def scope(session: Session) -> str | None:
    """The guichet a unit of work was opened for (``--guichet``), or None: the base's only one."""
    return session.info.get("guichet")


def _no_guichet() -> InvalidInput:
    return InvalidInput("aucun guichet dans cette base : lancer d'abord `comite init GUICHET.toml`",
                        field="--db")


def _ids(session: Session) -> str:
    return ", ".join(session.exec(select(Guichet.id).order_by(Guichet.id)))  # type: ignore[arg-type]


def guichet(session: Session, *, lock: bool = False) -> Loaded:
    """The guichet the unit of work is about: the one named, else the base's only one.

    A read-only unit of work reads it once (a page asks for it from several views)."""
    reading = not lock and not session.info.get("write")
    if reading and "loaded" in session.info:
        return session.info["loaded"]  # type: ignore[no-any-return]
    wanted = scope(session)
    query = select(Guichet).order_by(Guichet.id)  # type: ignore[arg-type]
    if wanted is not None:
        query = query.where(Guichet.id == wanted)
    if lock:
        query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE: see for_event
    rows = session.exec(query.limit(2)).all()
    if not rows:
        if wanted is None:
            raise _no_guichet()
        known = _ids(session)
        raise InvalidInput(f"aucun guichet « {wanted} » dans cette base "
                           f"({'guichets : ' + known if known else 'elle est vide'})",
                           field="--guichet")
    if len(rows) > 1:
        raise InvalidInput(f"cette base porte plusieurs guichets ({_ids(session)}) : dire lequel "
                           "avec --guichet ID (ou COMITE_GUICHET)", field="--guichet")
    loaded = Loaded(rows[0])
    if reading:
        session.info["loaded"] = loaded
    return loaded


def every_guichet(session: Session) -> list[Loaded]:
    """The guichets work that runs for all of them covers: the one named, else every one."""
    if scope(session) is not None:
        return [guichet(session)]
    rows = session.exec(select(Guichet).order_by(Guichet.id)).all()  # type: ignore[arg-type]
    if not rows:
        raise _no_guichet()
    return [Loaded(row) for row in rows]


def all_guichets(session: Session) -> list[Loaded]:
    """Every guichet of the base, for a consolidated figure: naming one contradicts it."""
    if scope(session) is not None:
        raise InvalidInput("--all-guichets couvre tous les guichets : ne pas donner aussi "
                           "--guichet (ni COMITE_GUICHET)", field="--all-guichets")
    return every_guichet(session)


def in_scope(session: Session, guichet_id: str, what: str) -> None:
    """Something named by itself (a reference, a message number) must not contradict --guichet."""
    wanted = scope(session)
    if wanted is not None and wanted != guichet_id:
        raise InvalidInput(f"{what} est du guichet « {guichet_id} », pas de « {wanted} » : "
                           "corriger --guichet, ou l'omettre", field="--guichet")


def normal_reference(reference: str) -> str:
    """References are written in capitals (``BZH-2021-0007``); people may type them otherwise."""
    return reference.strip().upper()


def unknown_dossier(session: Session, reference: str) -> NotFound:
    """The error for a reference that names no dossier (a base with no guichet says so first)."""
    if scope(session) is not None:
        guichet(session)  # an unknown --guichet is the first thing to say
    elif session.exec(select(Guichet.id)).first() is None:
        raise _no_guichet()
    return NotFound(f"aucun dossier {reference}", field="REF")


def actor(session: Session, loaded: Loaded, email: str | None,
          dossier: Dossier | None = None) -> Actor:
    """Who acts: a staff member or the dossier's owner."""
    email = acting_email(email)
    person = session.exec(
        select(Staff).where(Staff.guichet_id == loaded.id, func.lower(Staff.email) == email,
                            Staff.active)
    ).first()
    return who(email, person, dossier)


def staff_member(session: Session, loaded: Loaded, email: str) -> Actor | None:
    """The active member of ``loaded``'s team behind ``email``, or None (case-insensitive)."""
    person = session.exec(
        select(Staff).where(Staff.guichet_id == loaded.id,
                            func.lower(Staff.email) == email.strip().lower(), Staff.active)
    ).first()
    return Actor(person.email, person.role, person.department) if person else None


def roles_of(session: Session, email: str) -> list[tuple[Guichet, str]]:
    """The guichets where ``email`` holds a role, with that role."""
    rows = session.exec(
        select(Guichet, Staff.role).join(Staff, col(Staff.guichet_id) == col(Guichet.id))
        .where(func.lower(Staff.email) == email.strip().lower(), col(Staff.active))
        .order_by(col(Guichet.id))).all()
    return [(row, role) for row, role in rows]


def acting_email(email: str | None) -> str:
    if not email or not email.strip():
        raise InvalidInput("indiquer qui agit (--actor EMAIL ou COMITE_ACTOR)", field="--actor")
    return email.strip().lower()


def who(email: str, person: Staff | None, dossier: Dossier | None) -> Actor:
    """The actor behind ``email``, given the active staff member found under it (if any).

    Only staff and the dossier's owner act: the engine's own name is nobody's to borrow."""
    if person is not None:
        return Actor(person.email, person.role, person.department)
    if dossier is not None and dossier.owner_email.lower() == email:
        return Actor(email, "owner")
    raise InvalidInput(f"{email} n'est ni membre de l'équipe du guichet ni porteur de ce dossier",
                       field="--actor")


# The first read of every event and of a dossier's page, built once: building a statement of
# three entities costs more than running it. It brings the key that signs the owner's links too,
# which most events' messages carry: one statement fewer than asking for it then.
_LINKS_SECRET = (select(SiteSecret.value).where(col(SiteSecret.name) == "owner_links")
             .scalar_subquery())
_TABLES = tuple(table(model) for model in (Dossier, Guichet, Staff))
_DOSSIER, _GUICHET, _STAFF = _TABLES
_THREE = _DOSSIER.join(_GUICHET, _GUICHET.c.id == _DOSSIER.c.guichet_id).outerjoin(
    _STAFF, and_(_STAFF.c.guichet_id == _GUICHET.c.id,
                 func.lower(_STAFF.c.email) == bindparam("email"), _STAFF.c.active))
_FOR_EVENT = (select(Dossier, Guichet, Staff, _LINKS_SECRET).select_from(_THREE)
              .where(_DOSSIER.c.reference == bindparam("reference")))
# The same rows for a page, which writes nothing: each table's columns in turn, made into
# immutable rows with the models' attribute names (the ORM's loading would cost more than the read).
_FOR_PAGE = (core_select(*_TABLES, _LINKS_SECRET).select_from(_THREE)
             .where(_DOSSIER.c.reference == bindparam("reference")))
_STARTS = (0, len(_DOSSIER.c), len(_DOSSIER.c) + len(_GUICHET.c))
_READ_ROWS: tuple[tuple[Any, slice], ...] = tuple(
    (namedtuple(f"{table.name}_read", table.c.keys()), slice(start, start + len(table.c)))
    for table, start in zip(_TABLES, _STARTS, strict=True))
# FOR NO KEY UPDATE on PostgreSQL: it queues the guichet's decisions one after another, yet lets
# another transaction insert rows that refer to the guichet (audit, outbox, due work take a KEY
# SHARE lock on it): with FOR UPDATE, a decision holding the guichet and waiting for a dossier
# would deadlock with an event holding that dossier and inserting its audit row.
_LOCK_GUICHET = (
    select(Guichet.id)
    .where(col(Guichet.id) == select(Dossier.guichet_id)
           .where(col(Dossier.reference) == bindparam("reference")).scalar_subquery())
    .with_for_update(key_share=True)
)


def for_event(session: Session, reference: str, email: str | None, *,
              lock_guichet: bool = False) -> tuple[Loaded, Dossier, Actor]:
    """The guichet, the dossier and who acts, read in one statement: an event's first read."""
    asked = _asked(reference, email)
    if lock_guichet:
        # First, on its own: once the lock is ours, the read below sees what the previous holder
        # committed (a second identical decision is then refused, not merely in conflict).
        session.exec(_LOCK_GUICHET, params=asked).first()
    return _three(session, reference, asked, session.exec(_FOR_EVENT, params=asked).first())


def _asked(reference: str, email: str | None) -> dict[str, str]:
    """The first read's parameters: who acts, which dossier (as written in the base)."""
    return {"email": acting_email(email), "reference": normal_reference(reference)}


def _three(session: Session, reference: str, asked: dict[str, str],
           found: Any) -> tuple[Loaded, Dossier, Actor]:
    """What the first read found (dossier, guichet, staff member or None, link key), checked
    against the unit of work's guichet, with who asks."""
    if found is None:
        raise unknown_dossier(session, reference)
    dossier, row, person, session.info["links_secret"] = found
    in_scope(session, row.id, f"le dossier {dossier.reference}")
    return Loaded(row), dossier, who(asked["email"], person, dossier)


def readable(session: Session, reference: str, email: str) -> tuple[Loaded, Dossier, Actor]:
    """The dossier, its guichet and who asks, read in one statement, if that person is on the
    guichet's team and may read it (an instructor, their own département); else NotFound, as if
    the dossier did not exist (the site's 404, the API's).

    What it returns is for reading: objects no session tracks, not for an event to change."""
    from states.guards import may_read

    missing = NotFound(f"aucun dossier {reference}", field="REF")
    try:
        asked = _asked(reference, email)
        found = session.connection().execute(_FOR_PAGE, asked).first()
        loaded, dossier, actor = _three(session, reference, asked,
                                        _untracked(found) if found is not None else None)
    except InvalidInput:  # none, another guichet's, or someone not on its team
        raise missing from None
    if actor.role == "owner" or not may_read(actor, dossier.department):
        raise missing
    return loaded, dossier, actor


def _untracked(found: Any) -> tuple[Any, Any, Any, str | None]:
    """A `_FOR_PAGE` row as `_FOR_EVENT` gives it, with rows that read as the models do and that
    nothing can change (no staff member when the outer join found none)."""
    dossier, row, person = (make._make(found[columns]) for make, columns in _READ_ROWS)
    return dossier, row, person if person.id is not None else None, found[-1]


def require_coordinator(who: Actor) -> None:
    from workflow.errors import PermissionRefused

    if who.role != "coordinator":
        raise PermissionRefused(
            f"{who.email} n'est pas coordinateur : seuls les coordinateurs conduisent les sessions"
        )


def session_on(session: Session, loaded: Loaded, day: date | None, *, field: str = "--session",
               lock: bool = False) -> CommitteeSession:
    if day is None:
        raise InvalidInput("date de session manquante (AAAA-MM-JJ)", field=field)
    query = select(CommitteeSession).where(
        CommitteeSession.guichet_id == loaded.id, CommitteeSession.day == day
    )
    found = session.exec(query.with_for_update(key_share=True) if lock else query).first()
    if found is None:
        known = ", ".join(
            s.day.isoformat()
            for s in session.exec(
                select(CommitteeSession).where(CommitteeSession.guichet_id == loaded.id)
                .order_by(CommitteeSession.day)  # type: ignore[arg-type]
            )
        )
        raise NotFound(f"aucune session le {day.isoformat()} (sessions : {known or 'aucune'})",
                       field=field)
    return found


def agenda(session: Session, committee: CommitteeSession) -> list[tuple[AgendaItem, Dossier]]:
    """A session's agenda in order, each item with its dossier."""
    rows = session.exec(
        select(AgendaItem, Dossier).join(Dossier, col(Dossier.id) == col(AgendaItem.dossier_id))
        .where(AgendaItem.session_id == committee.id)
        .order_by(col(AgendaItem.position))
    ).all()
    return [(item, dossier) for item, dossier in rows]


def view(loaded: Loaded, committee: CommitteeSession | None) -> SessionView | None:
    if committee is None:
        return None
    return _view(loaded, committee.day, committee.state)


def _view(loaded: Loaded, day: date, state: str) -> SessionView:
    closes = day - timedelta(days=loaded.config.guichet.agenda_closes_days_before)
    return SessionView(day, state, closes)


_COMMITTEES = table(CommitteeSession)
_PLANNED = (core_select(_COMMITTEES.c.day, _COMMITTEES.c.state)
            .where(_COMMITTEES.c.guichet_id == bindparam("guichet"),
                   _COMMITTEES.c.state == "planned")
            .order_by(_COMMITTEES.c.day))


def planned_sessions(session: Session, loaded: Loaded) -> list[SessionView]:
    """The guichet's planned sessions by date, as the guards see them (one statement)."""
    return [_view(loaded, day, state)
            for day, state in session.connection().execute(_PLANNED, {"guichet": loaded.id})]


def pool_measures(loaded: Loaded, measure: str) -> tuple[str | None, list[str]]:
    """The envelope a measure draws on (None for the main one) and the measures sharing it."""
    separate = loaded.config.guichet.envelopes
    if measure in separate:
        return measure, [measure]
    return None, [m for m in loaded.config.guichet.measures if m not in separate]


def committed(session: Session, loaded: Loaded, measures: list[str]) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(Dossier.awarded_cents), 0)).where(
            Dossier.guichet_id == loaded.id,
            Dossier.state.in_([s.value for s in COMMITTED]),  # type: ignore[attr-defined]
            Dossier.measure.in_(measures),  # type: ignore[attr-defined]
        )
    ).one()
    return int(total or 0)


def room(session: Session, loaded: Loaded, measure: str) -> tuple[int, str]:
    """What is left of the envelope ``measure`` draws on, and that envelope's name."""
    pool, measures = pool_measures(loaded, measure)
    settings = loaded.config.guichet
    envelope = settings.envelope_eur if pool is None else settings.envelopes[pool]
    name = "enveloppe du guichet" if pool is None else f"enveloppe de la mesure {pool}"
    return envelope - committed(session, loaded, measures), name
