"""What read commands print: plain dicts ready for JSON (amounts as euro strings)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from states.guards import Actor
from states.lifecycle import COMMITTED, DossierState, allowed_events
from states.money import eur_json
from workflow import context
from workflow.clock import shown
from workflow.errors import InvalidInput
from workflow.models import (
    AgendaItem,
    Audit,
    CommitteeSession,
    Department,
    Dossier,
    Guichet,
    Report,
    Staff,
    table,
)


def guichet_list(session: Session) -> list[dict[str, Any]]:
    """The guichets of the base, each with its envelope and its dossiers counted by state."""
    from workflow.guichet import from_stored

    rows = ([context.guichet(session).row] if context.scope(session) is not None
            else session.exec(select(Guichet).order_by(Guichet.id)).all())  # type: ignore[arg-type]
    counted = select(Dossier.guichet_id, Dossier.state, func.count())
    if context.scope(session) is not None:  # one guichet's dossiers, not the whole base's
        counted = counted.where(Dossier.guichet_id == rows[0].id)
    counts: dict[str, dict[str, int]] = {}
    for guichet_id, state, count in session.exec(
            counted.group_by(Dossier.guichet_id, Dossier.state)):  # type: ignore[arg-type]
        counts.setdefault(guichet_id, {})[state] = int(count)
    return [{"id": row.id, "name": row.name, "region": from_stored(row.settings).guichet.region,
             "reference_prefix": row.reference_prefix,
             "envelope_eur": eur_json(row.envelope_cents),
             "dossiers": {state.value: counts.get(row.id, {}).get(state.value, 0)
                          for state in DossierState}}
            for row in rows]


def every_staff(session: Session) -> list[dict[str, Any]]:
    """Every active member of every guichet's team (the demo's login page lists them)."""
    rows = session.exec(
        select(Staff, Guichet.name).join(Guichet, Guichet.id == Staff.guichet_id)  # type: ignore[arg-type]
        .where(Staff.active).order_by(Staff.guichet_id, Staff.role, Staff.email)).all()  # type: ignore[arg-type]
    return [{"email": s.email, "name": s.name, "role": s.role, "department": s.department,
             "guichet": name} for s, name in rows]


def guichet(session: Session) -> dict[str, Any]:
    loaded = context.guichet(session)
    config, settings = loaded.config, loaded.config.guichet
    departments = session.exec(select(Department).where(Department.guichet_id == loaded.id)
                               .order_by(Department.code)).all()  # type: ignore[arg-type]
    staff = session.exec(select(Staff).where(Staff.guichet_id == loaded.id, Staff.active)
                         .order_by(Staff.role, Staff.email)).all()  # type: ignore[arg-type]
    return {
        "id": settings.id,
        "name": settings.name,
        "reference_prefix": settings.reference_prefix,
        "region": settings.region,
        "timezone": settings.timezone,
        "envelope_eur": eur_json(settings.envelope_eur),
        "envelopes": {m: eur_json(c) for m, c in settings.envelopes.items()},
        "funding_cap": str(settings.funding_cap),
        "results_deadline": settings.results_deadline.isoformat(),
        "measures": list(settings.measures),
        "eligible_kinds": list(settings.eligible_kinds),
        "agenda_closes_days_before": settings.agenda_closes_days_before,
        "rules": {
            "one_individual_award": config.rules.one_individual_award,
            "forfaits": [
                {"measure": f.measure, "kinds": f.kinds, "population_below": f.population_below,
                 "amount_eur": eur_json(f.amount_eur)} for f in config.rules.forfaits
            ],
            "exclusions": [e.model_dump() for e in config.rules.exclusions],
        },
        "departments": [
            {"code": d.code, "name": d.name,
             "prefecture_contact": {"name": d.contact_name, "email": d.contact_email}}
            for d in departments
        ],
        "staff": [{"email": s.email, "name": s.name, "role": s.role, "department": s.department}
                  for s in staff],
        "sessions": session_list(session, loaded),
        "report": config.report.model_dump(),
        "smtp": config.smtp.model_dump(),
    }


def _session_days(session: Session, loaded: context.Loaded) -> dict[int, date]:
    return {s.id: s.day for s in session.exec(select(CommitteeSession).where(
        CommitteeSession.guichet_id == loaded.id)) if s.id is not None}


def in_euros(value: Any) -> Any:
    """A stored form or audit data with every ``…_eur`` amount, kept in cents, as euros (JSON)."""
    if isinstance(value, dict):
        return {key: eur_json(item) if key.endswith("_eur") and isinstance(item, int)
                and not isinstance(item, bool) else in_euros(item) for key, item in value.items()}
    if isinstance(value, list):
        return [in_euros(item) for item in value]
    return value


def dossier(session: Session, reference: str) -> dict[str, Any]:
    """The dossier, its history and its reports.

    Three Core statements on the tables: this is what `dossier show` runs at every start, and the
    ORM would first configure every mapper of the schema (about a third of the command's time).
    """
    dossiers, guichets, sessions = (table(model) for model in (Dossier, Guichet, CommitteeSession))
    row = session.execute(
        select(dossiers, guichets.c.timezone.label("guichet_timezone"),
               sessions.c.day.label("session_day"))
        .join(guichets, guichets.c.id == dossiers.c.guichet_id)
        .outerjoin(sessions, sessions.c.id == dossiers.c.session_id)
        .where(dossiers.c.reference == context.normal_reference(reference))
    ).first()
    if row is None:
        raise context.unknown_dossier(session, reference)
    context.in_scope(session, row.guichet_id, f"le dossier {row.reference}")
    return document(session, row, row.guichet_timezone, row.session_day)


def dossier_document(session: Session, loaded: context.Loaded, dossier: Dossier) -> dict[str, Any]:
    """The document of a dossier already read with its guichet (`context.for_event`)."""
    committee = (session.get(CommitteeSession, dossier.session_id)
                 if dossier.session_id is not None else None)
    return document(session, dossier, loaded.tz, committee.day if committee else None)


def document(session: Session, row: Any, tz: str, session_day: date | None) -> dict[str, Any]:
    """The dossier ``row`` (a table row or a Dossier, read by the caller) as `dossier show`
    prints it, with its history and reports (two statements)."""
    days = {row.session_id: session_day} if session_day is not None else {}
    history = core_read(session, _HISTORY, {"dossier": row.id}).all()
    reports = core_read(session, _REPORTS, {"dossier": row.id}).all()
    return {
        **_summary(row, days),
        "revision": row.revision,
        "version": row.version,
        "title": row.title,
        "total_cost_eur": eur_json(row.total_cost_cents),
        "end_date": row.end_date.isoformat(),
        "signed_on": row.signed_on.isoformat() if row.signed_on else None,
        "owner": row.owner_email,
        "submitted_at": shown(row.submitted_at, tz),
        "allowed_events": allowed_events(DossierState(row.state)),
        "form": in_euros(row.form),
        "history": [
            {"event": a.event, "from": a.from_state, "to": a.to_state, "at": shown(a.at, tz),
             "actor": a.actor, "reason": a.reason, **({"data": in_euros(a.data)} if a.data else {})}
            for a in history
        ],
        "reports": [
            {"period": r.period, "percent_done": r.percent_done, "status": r.status,
             "end_date": r.end_date.isoformat(), "progress": r.progress,
             "companies": r.companies, "received_at": shown(r.received_at, tz)}
            for r in reports
        ],
    }


def core_read(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """A read that loads no ORM object, sent on the unit of work's connection: the ORM's layer
    around a statement costs more than the statement."""
    return session.connection().execute(statement, params)


# A dossier's history and reports, built once (every dossier page and `dossier show` reads them).
_HISTORY = (select(table(Audit)).where(table(Audit).c.dossier_id == bindparam("dossier"))
            .order_by(table(Audit).c.id))
_REPORTS = (select(table(Report)).where(table(Report).c.dossier_id == bindparam("dossier"))
            .order_by(table(Report).c.period))

def _summary(row: Any, days: dict[int, date]) -> dict[str, Any]:
    day = days.get(row.session_id) if row.session_id is not None else None
    return {
        "reference": row.reference,
        "state": row.state,
        "department": row.department,
        "measure": row.measure,
        "applicant": {"name": row.applicant_name, "kind": row.applicant_kind,
                      "population": row.population, "siren": row.siren},
        "session": day.isoformat() if day else None,
        "requested_eur": eur_json(row.requested_cents),
        "awarded_eur": eur_json(row.awarded_cents),
    }


SUMMARY = (Dossier.reference, Dossier.state, Dossier.department, Dossier.measure,
           Dossier.applicant_name, Dossier.applicant_kind, Dossier.population, Dossier.siren,
           Dossier.session_id, Dossier.requested_cents, Dossier.awarded_cents)
SORTS = {"reference": "reference", "state": "state", "department": "department",
         "measure": "measure", "applicant": "applicant_name", "requested": "requested_cents"}


def _dossier_query(session: Session, loaded: context.Loaded, *, state: str | None,
                   department: str | None, session_day: date | None, measure: str | None,
                   text: str | None) -> Any:
    # the columns a list shows, not the whole row (no form to decode for each dossier)
    query = select(*SUMMARY).where(Dossier.guichet_id == loaded.id)  # type: ignore[call-overload]
    if state is not None:
        states = [s.value for s in DossierState]
        if state not in states:
            raise InvalidInput(f"valeur inconnue « {state} » ({', '.join(states)})",
                               field="--state")
        query = query.where(Dossier.state == state)
    if department is not None:
        query = query.where(Dossier.department == department)
    if measure is not None:
        query = query.where(Dossier.measure == measure)
    if text and text.strip():
        # the text as typed: its % and _ are letters, not LIKE's wildcards
        typed = text.strip().lower()
        pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Dossier.reference).like(pattern, escape="\\")
                            | func.lower(Dossier.applicant_name).like(pattern, escape="\\")
                            | func.lower(Dossier.title).like(pattern, escape="\\"))
    if session_day is not None:
        committee = context.session_on(session, loaded, session_day)
        query = query.where(Dossier.session_id == committee.id)
    return query


def dossier_list(session: Session, *, state: str | None = None, department: str | None = None,
                 session_day: date | None = None, measure: str | None = None,
                 text: str | None = None, after: str | None = None,
                 limit: int | None = None) -> list[dict[str, Any]]:
    """The guichet's dossiers, filtered, by reference; ``text`` is looked for, in any case, in
    the reference, the applicant's name and the title. ``after`` and ``limit`` give one page
    of it (a cursor: the last reference of the page before)."""
    loaded = context.guichet(session)
    query = _dossier_query(session, loaded, state=state, department=department,
                           session_day=session_day, measure=measure, text=text)
    if after is not None:
        query = query.where(Dossier.reference > after)
    days = _session_days(session, loaded)
    return [_summary(row, days) for row in session.exec(
        query.order_by(Dossier.reference).limit(limit))]


def listed_department(actor: Any, asked: str | None) -> tuple[bool, str | None]:
    """The département a list ``actor`` asks for covers: the one asked, held to their own
    territory (an instructor's list is their département's); (False, None) when they ask for
    one they may not read."""
    from states.guards import territory

    own = territory(actor)
    if own is None:
        return True, asked
    allowed = asked in (None, own)
    return allowed, (own if allowed else None)


def dossier_page(session: Session, *, sort: str = "reference", descending: bool = False,
                 limit: int = 50, offset: int = 0, **filters: Any
                 ) -> tuple[list[dict[str, Any]], int]:
    """One page of the filtered list (as dossier_list), sorted by ``sort`` (SORTS), and how many
    dossiers the filters keep in all: the database counts and pages, not the caller."""
    loaded = context.guichet(session)
    if sort not in SORTS:
        raise InvalidInput(f"tri inconnu « {sort} » ({', '.join(SORTS)})", field="sort")
    query = _dossier_query(session, loaded, **filters)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    column = getattr(Dossier, SORTS[sort])
    rows = session.exec(query.order_by(column.desc() if descending else column,
                                       Dossier.reference).limit(limit).offset(offset))
    days = _session_days(session, loaded)
    return [_summary(row, days) for row in rows], int(total)


def _agenda_sizes(session: Session, loaded: context.Loaded) -> dict[int, int]:
    """How many dossiers each of the guichet's sessions has on its agenda, by session id."""
    return dict(session.exec(
        select(AgendaItem.session_id, func.count())
        .join(CommitteeSession, CommitteeSession.id == AgendaItem.session_id)  # type: ignore[arg-type]
        .where(CommitteeSession.guichet_id == loaded.id)
        .group_by(AgendaItem.session_id)).all())  # type: ignore[arg-type]


_SESSIONS = (
    select(CommitteeSession.day, CommitteeSession.state, CommitteeSession.moved_from,
           func.count(AgendaItem.dossier_id))  # type: ignore[arg-type, call-overload]
    .outerjoin(AgendaItem, AgendaItem.session_id == CommitteeSession.id)  # type: ignore[arg-type]
    .where(CommitteeSession.guichet_id == bindparam("guichet"))
    .group_by(CommitteeSession.id).order_by(CommitteeSession.day))


def session_list(session: Session, loaded: context.Loaded | None = None) -> list[dict[str, Any]]:
    """The guichet's sessions by date, each with the size of its agenda (one statement)."""
    loaded = loaded or context.guichet(session)
    return [{"date": day.isoformat(), "state": state, "agenda_size": int(size),
             "moved_from": moved_from.isoformat() if moved_from else None}
            for day, state, moved_from, size in core_read(session, _SESSIONS,
                                                          {"guichet": loaded.id})]


def session_show(session: Session, day: date) -> dict[str, Any]:
    loaded = context.guichet(session)
    committee = context.session_on(session, loaded, day, field="DATE")
    rows = context.agenda(session, committee)
    return {
        "date": committee.day.isoformat(),
        "state": committee.state,
        "moved_from": committee.moved_from.isoformat() if committee.moved_from else None,
        "agenda": [
            {"position": item.position, "reference": d.reference, "decision": item.decision,
             "department": d.department, "measure": d.measure, "applicant": d.applicant_name,
             "requested_eur": eur_json(d.requested_cents),
             "awarded_eur": eur_json(d.awarded_cents) if item.decision == "accept" else None}
            for item, d in rows
        ],
    }


def budget(session: Session, loaded: context.Loaded | None = None) -> dict[str, Any]:
    """The envelope of ``loaded`` (else the unit of work's guichet): committed, left, where."""
    loaded = loaded or context.guichet(session)
    settings = loaded.config.guichet
    rows = session.exec(
        select(Dossier.department, Dossier.measure, func.count(),
               func.coalesce(func.sum(Dossier.awarded_cents), 0))
        .where(Dossier.guichet_id == loaded.id,
               Dossier.state.in_([s.value for s in COMMITTED]))  # type: ignore[attr-defined]
        .group_by(Dossier.department, Dossier.measure)
    ).all()
    by_department: dict[str, dict[str, int]] = {c: {"cents": 0, "count": 0}
                                               for c in sorted(loaded.config.department_codes)}
    by_measure: dict[str, dict[str, int]] = {m: {"cents": 0, "count": 0} for m in settings.measures}
    for department, measure, count, cents in rows:
        for bucket in (by_department.setdefault(department, {"cents": 0, "count": 0}),
                       by_measure.setdefault(measure, {"cents": 0, "count": 0})):
            bucket["cents"] += int(cents or 0)
            bucket["count"] += int(count or 0)
    main = sum(b["cents"] for m, b in by_measure.items() if m not in settings.envelopes)

    def money(bucket: dict[str, int]) -> dict[str, Any]:
        return {"committed_eur": eur_json(bucket["cents"]), "count": bucket["count"]}

    return {
        "envelope_eur": eur_json(settings.envelope_eur),
        "committed_eur": eur_json(main),
        "remaining_eur": eur_json(settings.envelope_eur - main),
        "separate_envelopes": {
            m: {"envelope_eur": eur_json(c), "committed_eur": eur_json(by_measure[m]["cents"]),
                "remaining_eur": eur_json(c - by_measure[m]["cents"])}
            for m, c in settings.envelopes.items()
        },
        "by_department": {k: money(v) for k, v in by_department.items()},
        "by_measure": {k: money(v) for k, v in by_measure.items()},
    }


def due_soon(session: Session, loaded: context.Loaded, now: Any, days: int = 7, *,
             department: str | None = None) -> list[dict[str, Any]]:
    """The guichet's scheduled work due within ``days`` (reminders, reports, lists); with
    ``department``, only the work about that département's dossiers."""
    from datetime import timedelta

    from workflow.records import DueWork

    query = (
        select(DueWork, Dossier.reference).outerjoin(Dossier, Dossier.id == DueWork.dossier_id)  # type: ignore[arg-type]
        .where(DueWork.guichet_id == loaded.id, DueWork.status == "pending",
               DueWork.due_at <= now + timedelta(days=days)))  # type: ignore[operator]
    if department is not None:
        query = query.where(Dossier.department == department)
    rows = session.exec(query.order_by(DueWork.due_at)).all()  # type: ignore[arg-type]
    return [{"kind": row.kind, "due_at": shown(row.due_at, loaded.tz), "reference": reference,
             "period": row.period or None} for row, reference in rows]


def messages_in_trouble(session: Session, loaded: context.Loaded, *,
                        department: str | None = None) -> list[dict[str, Any]]:
    """The guichet's messages given up (dead) or waiting for another try, with the last error."""
    return outbox(session, loaded, statuses=("dead", "retrying"), department=department)


_MESSAGE_COLUMNS = ("id", "recipient", "subject", "status", "attempts", "reference", "last_error",
                    "created_at", "sent_at")


def outbox(session: Session, loaded: context.Loaded, status: str | None = None,
           statuses: tuple[str, ...] = (), *, reference: str | None = None,
           recipient: str | None = None, department: str | None = None) -> list[dict[str, Any]]:
    """The guichet's messages (of ``status``, or of ``statuses``; about a dossier, to someone;
    about the dossiers of a département), newest first, with their delivery status and last
    error."""
    if status is not None:
        statuses = (status,)
    asked = {"guichet": loaded.id, "department": department, "reference": reference,
             "recipient": recipient.lower() if recipient is not None else None,
             "statuses": list(statuses)}
    query = _outbox_query(department is not None, reference is not None, recipient is not None,
                          bool(statuses))
    return [{"id": row.id, "to": row.recipient, "subject": row.subject, "status": row.status,
             "attempts": row.attempts, "reference": row.reference, "last_error": row.last_error,
             "created_at": shown(row.created_at, loaded.tz),
             "sent_at": shown(row.sent_at, loaded.tz) if row.sent_at else None}
            for row in core_read(session, query, asked)]


@lru_cache(maxsize=16)
def _outbox_query(department: bool, reference: bool, recipient: bool, statuses: bool) -> Any:
    """The outbox list's statement for one shape of filters, built once: the columns a list
    shows (not each message's text, HTML and invitation), on the table."""
    from workflow.records import Outbox

    messages = table(Outbox)
    query = select(*(messages.c[name] for name in _MESSAGE_COLUMNS)).where(
        messages.c.guichet_id == bindparam("guichet"))
    if department:
        dossiers = table(Dossier)
        query = query.join(dossiers, (dossiers.c.reference == messages.c.reference)
                           & (dossiers.c.guichet_id == messages.c.guichet_id)).where(
            dossiers.c.department == bindparam("department"))
    if reference:
        query = query.where(messages.c.reference == bindparam("reference"))
    if recipient:
        query = query.where(func.lower(messages.c.recipient) == bindparam("recipient"))
    if statuses:
        query = query.where(messages.c.status.in_(bindparam("statuses", expanding=True)))
    return query.order_by(messages.c.id.desc())


def assessment(loaded: context.Loaded, dossier: Dossier) -> dict[str, Any]:
    """What the rules say of the dossier as filed: its eligibility findings and its forfait."""
    from workflow.dossiers import findings, forfait

    flat = forfait(loaded, dossier)
    return {"eligibility": list(findings(loaded, dossier)),
            "forfait_eur": eur_json(flat) if flat is not None else None}


def board(session: Session, day: date, *, department: str | None = None,
          deciding: tuple[Actor, datetime] | None = None) -> dict[str, Any]:
    """A session's agenda as the coordinator decides it: each line with the applicant, the
    amounts, the forfait and the eligibility findings; the envelopes the lines draw on, left.
    With ``department``, only that département's lines. With ``deciding`` (who decides, when),
    the sessions its dossiers may be deferred to, as the defer event judges them."""
    from workflow.dossiers import findings, forfait
    from workflow.events import session_targets

    loaded = context.guichet(session)
    committee = context.session_on(session, loaded, day, field="DATE")
    pools: dict[str | None, dict[str, Any]] = {}  # each envelope the lines draw on, read once
    lines: list[dict[str, Any]] = []
    later: tuple[date, ...] = ()
    for item, d in context.agenda(session, committee):
        if department is not None and d.department != department:
            continue
        if deciding is not None and not lines:  # the same for every dossier of the agenda
            later = session_targets(session, loaded, d, *deciding, "defer")
        pool, _ = context.pool_measures(loaded, d.measure)
        if pool not in pools:
            left, name = context.room(session, loaded, d.measure)
            pools[pool] = {"name": name, "remaining_eur": eur_json(left)}
        name = pools[pool]["name"]
        flat = forfait(loaded, d)
        lines.append({
            "position": item.position, "reference": d.reference, "version": d.version,
            "decision": item.decision, "state": d.state, "title": d.title,
            "applicant": {"name": d.applicant_name, "kind": d.applicant_kind,
                          "population": d.population},
            "department": d.department, "measure": d.measure, "pool": name,
            "total_cost_eur": eur_json(d.total_cost_cents),
            "requested_eur": eur_json(d.requested_cents),
            "awarded_eur": eur_json(d.awarded_cents) if item.decision == "accept" else None,
            "forfait_eur": eur_json(flat) if flat is not None else None,
            "eligibility": list(findings(loaded, d)),
        })
    if not pools:  # no line (yet): what the guichet's envelope has left, if a measure draws on it
        main = next((m for m in loaded.config.guichet.measures
                     if context.pool_measures(loaded, m)[0] is None), None)
        if main is not None:
            left, name = context.room(session, loaded, main)
            pools[None] = {"name": name, "remaining_eur": eur_json(left)}
    return {"date": committee.day.isoformat(), "state": committee.state,
            "moved_from": committee.moved_from.isoformat() if committee.moved_from else None,
            "agenda": lines, "envelopes": list(pools.values()),
            "later_sessions": [later_day.isoformat() for later_day in later]}


def next_sessions(session: Session, loaded: context.Loaded, today: date) -> list[dict[str, Any]]:
    """The sessions still to come, with the size of their agenda and the day it closes."""
    sizes = _agenda_sizes(session, loaded)
    rows = session.exec(select(CommitteeSession).where(
        CommitteeSession.guichet_id == loaded.id, CommitteeSession.day >= today,
        CommitteeSession.state.in_(["planned", "convened", "held"]))  # type: ignore[attr-defined]
        .order_by(CommitteeSession.day)).all()  # type: ignore[arg-type]
    shown_ = []
    for row in rows:
        seen = context.view(loaded, row)
        assert seen is not None
        shown_.append({"date": row.day.isoformat(), "state": row.state,
                       "agenda_size": sizes.get(row.id or 0, 0),
                       "agenda_closes_on": seen.agenda_closes_on.isoformat()})
    return shown_
