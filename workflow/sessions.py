"""Committee sessions: convene, open, close, move; each one transaction with its messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select

from states.sessions import SESSION_RULES, SessionState, session_refusal
from workflow import context, due, messages, minutes
from workflow.db import UnitOfWork
from workflow.errors import ComiteError, Conflict, InvalidInput, Refused, message
from workflow.french import count_fr, time_fr
from workflow.models import Audit, CommitteeSession, Staff
from workflow.records import Outbox


def _start(uow: UnitOfWork, command: str, day: date | None, actor: str | None,
           ) -> tuple[context.Loaded, CommitteeSession, str]:
    loaded = context.guichet(uow.session)
    who = context.actor(uow.session, loaded, actor)
    context.require_coordinator(who)
    committee = context.session_on(uow.session, loaded, day, field="DATE")
    refusal = session_refusal(command, SessionState(committee.state))
    if refusal is not None:
        raise Refused(f"session du {committee.day:%d/%m/%Y} : {refusal}")
    return loaded, committee, who.email


def _save(uow: UnitOfWork, committee: CommitteeSession, command: str, actor: str,
          now: datetime, source: str, data: dict[str, Any] | None = None) -> Audit:
    day = committee.day
    uow.session.add(committee)
    try:
        uow.session.flush()
    except StaleDataError:
        raise Conflict(f"conflit : la session du {day:%d/%m/%Y} a été modifiée "
                       "pendant votre action ; recommencer") from None
    audit = Audit(guichet_id=committee.guichet_id, session_id=committee.id,
                  action=f"session.{command}", event=command,
                  from_state=source, to_state=committee.state, at=now, actor=actor,
                  data=data or {})
    uow.session.add(audit)
    uow.session.flush()
    return audit


def _members(uow: UnitOfWork, loaded: context.Loaded) -> list[Staff]:
    return list(uow.session.exec(
        select(Staff).where(Staff.guichet_id == loaded.id, Staff.active,
                            Staff.role.in_(["member", "coordinator"]))  # type: ignore[attr-defined]
        .order_by(Staff.email)  # type: ignore[arg-type]
    ))


def _agenda(uow: UnitOfWork, committee: CommitteeSession) -> list[dict[str, Any]]:
    """The agenda as the convocation and the invitation show it."""
    return [{"reference": d.reference, "applicant": d.applicant_name, "title": d.title,
             "measure": d.measure, "requested_cents": d.requested_cents}
            for item, d in context.agenda(uow.session, committee) if item.decision is None]


def _end(meeting: Any) -> time:
    return (datetime.combine(date.min, meeting.start) + timedelta(hours=meeting.hours)).time()


def _invitation(loaded: context.Loaded, committee: CommitteeSession, organizer: str,
                members: list[Staff], now: datetime, *, agenda: list[dict[str, Any]] | None = None,
                cancelled: bool = False) -> dict[str, Any]:
    """What the calendar invitation says; its UID is stable for the session's whole life."""
    from states.money import eur_fr

    meeting = loaded.config.committee
    lines = [f"{i}. {item['reference']} : {item['applicant']}, « {item['title']} », mesure "
             f"{item['measure']}, {eur_fr(item['requested_cents'])} demandés"
             for i, item in enumerate(agenda or [], start=1)]
    where = [part for part in (meeting.place, meeting.visio_url) if part]
    return {
        "uid": f"session-{committee.id}@{loaded.config.guichet.mail_domain}",
        "day": committee.day.isoformat(),
        "sequence": committee.sequence,
        "summary": f"Comité de sélection : {loaded.row.name}",
        "organizer": organizer,
        "attendees": [m.email for m in members],
        "timezone": loaded.tz,
        "stamp": now.isoformat(),
        "start": meeting.start.strftime("%H:%M"),
        "hours": meeting.hours,
        "location": " ; ".join(where) or None,
        "description": ("Ordre du jour :\n" + "\n".join(lines)) if lines else None,
        "cancelled": cancelled,
    }


def _transition(uow: UnitOfWork, command: str, committee: CommitteeSession, actor: str,
                now: datetime) -> Audit:
    source = committee.state
    destination = SESSION_RULES[command][1]
    assert destination is not None
    committee.state = destination.value
    return _save(uow, committee, command, actor, now, source)


def convene(uow: UnitOfWork, *, day: date | None, actor: str | None,
            now: datetime) -> CommitteeSession:
    """Freeze the agenda and invite the members."""
    loaded, committee, who = _start(uow, "convene", day, actor)
    if committee.day < loaded.today(now):
        raise Refused(f"la session du {committee.day:%d/%m/%Y} est passée : la déplacer (move)")
    audit = _transition(uow, "convene", committee, who, now)
    # the agenda is frozen and the members invited: neither "the agenda closes soon" nor "not
    # convened yet" has anything left to say (pending, they would show as work to do)
    due.cancel(uow.session, committee=committee.id)
    agenda = _agenda(uow, committee)
    members = _members(uow, loaded)
    invitation = _invitation(loaded, committee, who, members, now, agenda=agenda)
    meeting = loaded.config.committee
    for member in members:
        messages.to_person(uow, loaded, member.email, "session_convened",
                           key=f"audit:{audit.id}", now=now, name=member.name,
                           session_day=committee.day, agenda=agenda, invitation=invitation,
                           start=time_fr(meeting.start), end=time_fr(_end(meeting)),
                           place=meeting.place, visio_url=meeting.visio_url)
    return committee


def open_session(uow: UnitOfWork, *, day: date | None, actor: str | None,
                 now: datetime) -> CommitteeSession:
    loaded, committee, who = _start(uow, "open", day, actor)
    if loaded.today(now) < committee.day:
        raise Refused(f"la session du {committee.day:%d/%m/%Y} ne peut s'ouvrir qu'à sa date "
                      f"(aujourd'hui : {loaded.today(now):%d/%m/%Y})")
    _transition(uow, "open", committee, who, now)
    return committee


def close(uow: UnitOfWork, *, day: date | None, actor: str | None,
          now: datetime) -> CommitteeSession:
    """Close a held session once every item is decided; release the decision emails."""
    loaded, committee, who = _start(uow, "close", day, actor)
    pending = [d.reference for item, d in context.agenda(uow.session, committee) if item.decision is None]
    if pending:
        raise Refused(
            f"session du {committee.day:%d/%m/%Y} : "
            f"{count_fr(len(pending), 'dossier sans décision', 'dossiers sans décision')} "
            f"({', '.join(pending)}) ; décider (accept, request_revision, refuse) ou reporter "
            "(defer) chacun avant de clore"
        )
    _transition(uow, "close", committee, who, now)
    minutes.freeze(uow.session, loaded, committee, now)
    uow.session.execute(
        update(Outbox)
        .where(Outbox.held_session_id == committee.id, Outbox.status == "held")  # type: ignore[arg-type]
        .values(status="queued", next_attempt_at=now)
    )
    return committee


def move(uow: UnitOfWork, *, day: date | None, new_day: date | None, actor: str | None,
         now: datetime) -> CommitteeSession:
    """Move a planned or convened session: its dossiers follow, owners and members are told."""
    loaded, committee, who = _start(uow, "move", day, actor)
    if new_day is None:
        raise InvalidInput("nouvelle date manquante (AAAA-MM-JJ)", field="NEW_DATE")
    if new_day <= loaded.today(now):
        raise InvalidInput(f"la nouvelle date ({new_day:%d/%m/%Y}) doit être dans le futur",
                           field="NEW_DATE")
    clash = uow.session.exec(
        select(CommitteeSession).where(CommitteeSession.guichet_id == loaded.id,
                                       CommitteeSession.day == new_day)
    ).first()
    if clash is not None:
        raise Refused(f"une session existe déjà le {new_day:%d/%m/%Y}")
    old_day = committee.day
    committee.moved_from, committee.day = old_day, new_day
    committee.sequence += 1
    audit = _save(uow, committee, "move", who, now, committee.state,
                  {"from": old_day.isoformat(), "to": new_day.isoformat()})
    due.plan_session(uow.session, loaded, committee, now)
    key = f"audit:{audit.id}"
    for item, dossier in context.agenda(uow.session, committee):
        if item.decision is None:
            # one owner may have several dossiers on the agenda: one message for each
            messages.to_owner(uow, loaded, dossier, "session_moved", key=f"{key}:{dossier.id}",
                              now=now,
                              old_day=old_day, session_day=new_day)
    members = _members(uow, loaded)
    invitation = _invitation(loaded, committee, who, members, now, agenda=_agenda(uow, committee))
    for member in members:
        messages.to_person(uow, loaded, member.email, "session_moved_member", key=key, now=now,
                           name=member.name, old_day=old_day, session_day=new_day,
                           invitation=invitation)
    return committee


def cancel(uow: UnitOfWork, *, day: date | None, actor: str | None,
           now: datetime) -> CommitteeSession:
    """Cancel a planned or convened session whose agenda is empty; members invited are told, and
    their calendars drop the event (METHOD:CANCEL)."""
    loaded, committee, who = _start(uow, "cancel", day, actor)
    waiting = _agenda(uow, committee)
    if waiting:
        on_agenda = count_fr(len(waiting), "dossier à l'ordre du jour",
                             "dossiers à l'ordre du jour")
        raise Refused(
            f"la session du {committee.day:%d/%m/%Y} a {on_agenda} "
            f"({', '.join(item['reference'] for item in waiting)}) : les reporter à une autre "
            "session (defer) ou déplacer la session (move) avant de l'annuler")
    was_convened = committee.state == SessionState.convened
    committee.sequence += 1
    audit = _transition(uow, "cancel", committee, who, now)
    due.cancel(uow.session, committee=committee.id)
    if was_convened:
        members = _members(uow, loaded)
        invitation = _invitation(loaded, committee, who, members, now, cancelled=True)
        for member in members:
            messages.to_person(uow, loaded, member.email, "session_cancelled",
                               key=f"audit:{audit.id}", now=now, name=member.name,
                               session_day=committee.day, invitation=invitation)
    return committee


DECISIONS = ("accept", "request_revision", "refuse", "defer")


@dataclass(frozen=True)
class Line:
    """One line of the agenda as the coordinator filled it in: the decision and what it needs
    (``given``: amount, reason, session, as typed), with the dossier's version they read."""

    reference: str
    event: str
    given: dict[str, str]
    version: int | None = None


class AgendaRefused(Refused):
    """Some lines of a session's decisions were refused: none was applied. ``refusals`` holds
    each line's error, for a page to word it its own way (`workflow.errors.said`)."""

    def __init__(self, day: date, refusals: dict[str, BaseException]) -> None:
        self.refusals = refusals
        self.errors = errors = {ref: message(error) for ref, error in refusals.items()}
        super().__init__(
            f"session du {day:%d/%m/%Y} : "
            f"{count_fr(len(errors), 'décision refusée', 'décisions refusées')}, aucune "
            "appliquée ; " + " ; ".join(f"{ref} : {said}" for ref, said in errors.items()))


def decide(uow: UnitOfWork, *, day: date | None, lines: list[Line], actor: str | None,
           now: datetime) -> list[Any]:
    """The decisions of a session's agenda, applied all or nothing in the caller's transaction.

    Each line is its event's own service (the same rules, audit and messages as one event at a
    time), in order, each in a savepoint: a refused line is undone and reported, the others
    still judged (the envelope left counts the lines accepted before it). Any refusal:
    AgendaRefused with every line's reason, and the caller's transaction is not committed."""
    from states.lifecycle import BY_EVENT
    from states.refusal import EventRefused
    from workflow import events
    from workflow.dossiers import Request

    loaded = context.guichet(uow.session)
    committee = context.session_on(uow.session, loaded, day, field="DATE")
    on_agenda = {d.reference for item, d in context.agenda(uow.session, committee)
                 if item.decision is None}
    chosen = [line for line in lines if line.event]
    if not chosen:
        raise InvalidInput("aucune décision saisie", field="decision")
    errors: dict[str, BaseException] = {}
    done = []
    for line in chosen:
        try:
            if line.event not in DECISIONS:
                raise InvalidInput(f"décision inconnue « {line.event} » ({', '.join(DECISIONS)})",
                                   field="decision")
            if line.reference not in on_agenda:
                raise Refused(f"le dossier n'est pas à décider à la session du {committee.day:%d/%m/%Y}")
            rule = BY_EVENT[line.event]
            arguments = events.arguments(rule, line.given, field=lambda name: name)
            asked = Request(reference=line.reference, actor=actor, now=now,
                            reason=line.given.get("reason", "").strip() or None,
                            expected_version=line.version)
            with uow.session.begin_nested():
                done.append(getattr(events, line.event)(uow, asked, **arguments))
        except (ComiteError, EventRefused) as error:
            errors[line.reference] = error
    if errors:
        uow.messages.clear()  # nothing of a refused agenda may be sent
        raise AgendaRefused(committee.day, errors)
    return done
