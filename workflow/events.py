"""One service function per lifecycle event, each in the caller's single transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from schedules.calendar import report_due, report_periods
from states.guards import Actor
from states.lifecycle import BY_EVENT, COMMITTED, RULES, DossierState, Rule
from states.machine import open_targets, permitted, standing
from states.money import eur_json
from states.periods import Quarter
from workflow import context, due, messages
from workflow.clock import parse_day
from workflow.dossiers import Request, Step, begin, findings, forfait, form_fields, snapshot
from workflow.forms import ReportForm, dossier_form, report_form
from workflow.models import AgendaItem, Audit, CommitteeSession, Dossier, Report


def arguments(rule: Rule, given: Mapping[str, str | None],
              field: Callable[[str], str]) -> dict[str, Any]:
    """The service's keyword arguments for ``rule`` from what a person typed (a session's date,
    an amount in euros, a signature date); an error names the field as they see it (``field``).
    A file's content is read by the adapter (a path on the command line, an upload on a page)."""
    from states.money import AmountError, parse_eur
    from workflow.errors import InvalidInput

    parsed: dict[str, Any] = {}
    if "session" in rule.needs:
        parsed["session_day"] = parse_day(given.get("session") or None, field("session"))
    if "amount" in rule.needs:
        try:
            parsed["amount"] = parse_eur(given.get("amount") or "")
        except AmountError as exc:
            raise InvalidInput(str(exc), field=field("amount")) from None
    if "date" in rule.needs:
        parsed["signed_on"] = parse_day(given.get("date") or None, field("date"))
    return parsed


@dataclass(frozen=True)
class Choice:
    """An event of the dossier's present state, as one person may see it on its page."""

    rule: Rule
    permitted: bool  # this person may fire it at all
    reasons: tuple[str, ...]  # what stops it now, in the guards' words (empty: it may be tried)
    sessions: tuple[date, ...] = ()  # an event that takes a session: the ones it would take now


NO_SESSION = "aucune session prévue ne peut recevoir le dossier maintenant"


def choices(session: Any, loaded: context.Loaded, dossier: Dossier, who: Actor,
            now: datetime, *, eligibility: tuple[str, ...] | None = None) -> list[Choice]:
    """The events of ``dossier``'s state in table order, each with what stops ``who`` now
    (the three as `context.for_event` read them), and for an event that takes a session, the
    sessions its guards would accept (read only then).

    Only the guards that need no input, or judge the session, are judged here; the event itself
    judges the rest. ``eligibility``: the dossier's findings, when the caller has them already
    (`workflow.dossiers.findings`)."""
    ctx = snapshot(session, loaded, dossier, who, Request(dossier.reference, who.email, now),
                   eligibility=findings(loaded, dossier) if eligibility is None else eligibility)
    state = DossierState(dossier.state)
    planned = None
    found = []
    for rule in RULES:
        if state not in rule.sources:
            continue
        allowed, reasons = permitted(rule, ctx), standing(rule, ctx)
        days: tuple[date, ...] = ()
        if "session" in rule.needs and allowed and not reasons:
            planned = context.planned_sessions(session, loaded) if planned is None else planned
            days = tuple(s.day for s in open_targets(rule, ctx, planned))
            reasons = [] if days else [NO_SESSION]
        found.append(Choice(rule, allowed, tuple(reasons), days))
    return found


def session_targets(session: Any, loaded: context.Loaded, dossier: Dossier, who: Actor,
                    now: datetime, event: str) -> tuple[date, ...]:
    """The sessions ``event`` would take for ``dossier`` now, as its own guards judge them."""
    ctx = snapshot(session, loaded, dossier, who, Request(dossier.reference, who.email, now))
    return tuple(s.day for s in open_targets(BY_EVENT[event], ctx,
                                             context.planned_sessions(session, loaded)))


def _agenda_item(step: Step) -> AgendaItem | None:
    if step.dossier.session_id is None:
        return None
    return step.session.exec(
        select(AgendaItem).where(AgendaItem.session_id == step.dossier.session_id,
                                 AgendaItem.dossier_id == step.dossier.id)
    ).first()


def _put_on_agenda(step: Step, committee: CommitteeSession) -> None:
    last = step.session.exec(
        select(func.coalesce(func.max(AgendaItem.position), 0))
        .where(AgendaItem.session_id == committee.id)
    ).one()
    assert committee.id is not None and step.dossier.id is not None
    step.session.add(AgendaItem(session_id=committee.id, dossier_id=step.dossier.id,
                                position=int(last) + 1))


def _close_item(step: Step, decision: str) -> None:
    item = _agenda_item(step)
    if item is not None and item.decision is None:
        item.decision = decision
        item.decided_at = step.request.now
        step.session.add(item)


def start_instruction(uow: Any, request: Request) -> Dossier:
    step = begin(uow, request)
    audit = step.apply("start_instruction", step.snapshot())
    step.tell_owner(audit)
    return step.dossier


def schedule(uow: Any, request: Request, *, session_day: date | None) -> Dossier:
    step = begin(uow, request)
    dossier = step.dossier
    target = context.session_on(step.session, step.loaded, session_day)
    ctx = step.snapshot(target_session=context.view(step.loaded, target),
                        eligibility=findings(step.loaded, dossier))
    audit = step.apply("schedule", ctx, data={"session": target.day.isoformat()},
                       session_id=target.id)
    _put_on_agenda(step, target)
    step.tell_owner(audit, session_day=target.day)
    return dossier


def defer(uow: Any, request: Request, *, session_day: date | None) -> Dossier:
    step = begin(uow, request)
    target = context.session_on(step.session, step.loaded, session_day)
    ctx = step.snapshot(target_session=context.view(step.loaded, target))
    _close_item(step, "defer")
    audit = step.apply("defer", ctx, data={"session": target.day.isoformat()},
                       session_id=target.id)
    _put_on_agenda(step, target)
    step.tell_owner(audit, session_day=target.day)
    return step.dossier


def _other_individual_award(step: Step) -> str | None:
    dossier = step.dossier
    if not step.loaded.config.rules.one_individual_award or dossier.applicant_kind == "groupement":
        return None
    return step.session.exec(
        select(Dossier.reference).where(
            Dossier.guichet_id == step.loaded.id, Dossier.siren == dossier.siren,
            Dossier.id != dossier.id, Dossier.applicant_kind != "groupement",
            Dossier.state.in_([s.value for s in COMMITTED]),  # type: ignore[attr-defined]
        )
    ).first()


def accept(uow: Any, request: Request, *, amount: int | None) -> Dossier:
    # The guichet row is locked so two accepts cannot both take the last of the envelope.
    step = begin(uow, request, lock_guichet=True)
    dossier = step.dossier
    room, pool = context.room(step.session, step.loaded, dossier.measure)
    ctx = step.snapshot(amount=amount, room=room, pool=pool, forfait=forfait(step.loaded, dossier),
                        other_award=_other_individual_award(step))
    _close_item(step, "accept")
    audit = step.apply("accept", ctx, data={"awarded_eur": eur_json(amount)},
                       awarded_cents=amount)
    step.tell_owner(audit, awarded_cents=amount, appeal=messages.appeal(step.loaded))
    return dossier


def _decide(event: str) -> Callable[[Any, Request], Dossier]:
    def decide(uow: Any, request: Request) -> Dossier:
        step = begin(uow, request)
        ctx = step.snapshot()
        _close_item(step, event)
        audit = step.apply(event, ctx)
        within = step.loaded.config.decisions.resubmit_within_days
        resubmit_by = (step.loaded.today(request.now) + timedelta(days=within)
                       if within and event == "request_revision" else None)
        step.tell_owner(audit, appeal=messages.appeal(step.loaded), resubmit_by=resubmit_by)
        return step.dossier

    decide.__name__ = event
    decide.__doc__ = f"The committee's decision « {event} »."
    return decide


request_revision = _decide("request_revision")
refuse = _decide("refuse")


def resubmit(uow: Any, request: Request, *, data: Any, file: str | None) -> Dossier:
    step = begin(uow, request)
    dossier = step.dossier
    problem, changes = None, {}
    if data is None:
        problem = "le formulaire révisé est obligatoire (--file DOSSIER.json)"
    else:
        form = dossier_form(data, file=file, departments=step.loaded.config.department_codes,
                            years=step.loaded.config.programme_years,
                            today=step.loaded.today(request.now))
        changes = form_fields(form)
        if changes["siren"] != dossier.siren:
            problem = (f"le dossier révisé doit garder le même demandeur (SIREN {dossier.siren}, "
                       f"reçu {changes['siren']})")
    ctx = step.snapshot(form_problem=problem)
    audit = step.apply("resubmit", ctx, data={"previous_form": dossier.form},
                       revision=dossier.revision + 1, session_id=None, awarded_cents=None,
                       **changes)
    step.tell_owner(audit)
    return dossier


def send_agreement(uow: Any, request: Request) -> Dossier:
    step = begin(uow, request)
    audit = step.apply("send_agreement", step.snapshot())
    loaded, dossier = step.loaded, step.dossier
    contact = messages.owner_contact(loaded, dossier.department)
    return_to = loaded.config.agreement.return_to or ", ".join(
        part for part in (contact["office"], contact["address"]) if part)
    document = messages.agreement_document(loaded, messages.dossier_context(
        loaded, dossier, awarded_cents=dossier.awarded_cents, today=loaded.today(request.now)))
    step.tell_owner(audit, awarded_cents=dossier.awarded_cents, return_to=return_to,
                    agreement_file=document[0] if document else None, attachment=document)
    return step.dossier


def _decided_on(step: Step) -> date | None:
    """The day the committee accepted the dossier (its latest accept)."""
    at = step.session.exec(select(func.max(Audit.at)).where(
        Audit.dossier_id == step.dossier.id, Audit.event == "accept")).one()
    return step.loaded.today(at) if at is not None else None


def sign_agreement(uow: Any, request: Request, *, signed_on: date | None) -> Dossier:
    step = begin(uow, request)
    ctx = step.snapshot(signed_on=signed_on, decided_on=_decided_on(step))
    audit = step.apply("sign_agreement", ctx,
                       data={"signed_on": signed_on.isoformat() if signed_on else None},
                       signed_on=signed_on)
    assert signed_on is not None
    due.after_signature(step.session, step.loaded, step.dossier)
    days_after = step.loaded.config.report.report_due_days
    step.tell_owner(audit, periods=[
        {"period": str(q), "due_on": report_due(q, days_after)}
        for q in report_periods(signed_on, step.dossier.end_date)])
    return step.dossier


def _report_window(loaded: context.Loaded, dossier: Dossier, now: datetime) -> tuple[Quarter, Quarter]:
    """The quarters a report may be sent for now: from the signature's to the current one."""
    assert dossier.signed_on is not None
    return Quarter.of(dossier.signed_on), Quarter.of(loaded.today(now))


def open_periods(session: Any, loaded: context.Loaded, dossier: Dossier,
                 now: datetime) -> list[str]:
    """The periods whose report the dossier may send now (none received yet), oldest first."""
    if DossierState(dossier.state) is not DossierState.follow_up or dossier.signed_on is None:
        return []
    first, current = _report_window(loaded, dossier, now)
    received = set(session.exec(select(Report.period).where(Report.dossier_id == dossier.id)))
    periods, quarter = [], first
    while quarter <= current:
        if str(quarter) not in received:
            periods.append(str(quarter))
        quarter = quarter.next()
    return periods


def _report_problem(step: Step, report: ReportForm) -> str | None:
    dossier = step.dossier
    period = Quarter.parse(report.period)
    if dossier.signed_on is None:  # pragma: no cover - follow_up implies a signature
        return "la convention n'est pas signée"
    first, current = _report_window(step.loaded, dossier, step.request.now)
    if period < first:
        return f"la période {period} précède la signature de la convention ({first})"
    if period > current:
        return f"la période {period} n'est pas commencée (trimestre en cours : {current})"
    earlier = step.session.exec(
        select(Report).where(Report.dossier_id == dossier.id, Report.period == str(period))
    ).first()
    if earlier is not None:
        return f"le rapport de la période {period} a déjà été reçu"
    return None


def submit_report(uow: Any, request: Request, *, data: Any, file: str | None) -> Dossier:
    step = begin(uow, request)
    report = (report_form(data, file=file, years=step.loaded.config.programme_years)
              if data is not None else None)
    problem = _report_problem(step, report) if report else "le rapport est obligatoire (--file)"
    # The latest report's end date is the project's planned end from now on.
    changes = {"end_date": report.end_date} if report is not None else {}
    audit = step.apply("submit_report", step.snapshot(report_problem=problem),
                       data={"period": report.period if report else None}, **changes)
    assert report is not None and step.dossier.id is not None
    due.warn_late_end(step.session, step.loaded, step.dossier, now=request.now)
    due.cancel(step.session, dossier=step.dossier.id, period=report.period,
               kinds=due.REPORT_KINDS)
    step.session.add(Report(dossier_id=step.dossier.id, received_at=request.now,
                            companies=[c.model_dump() for c in report.companies],
                            **report.model_dump(exclude={"companies"})))
    step.tell_owner(audit, period=report.period, percent_done=report.percent_done)
    return step.dossier


def complete(uow: Any, request: Request) -> Dossier:
    step = begin(uow, request)
    final = step.session.exec(
        select(Report.id).where(Report.dossier_id == step.dossier.id, Report.percent_done == 100)
    ).first()
    audit = step.apply("complete", step.snapshot(has_final_report=final is not None))
    due.cancel(step.session, dossier=step.dossier.id)
    step.tell_owner(audit)
    return step.dossier


def withdraw(uow: Any, request: Request) -> Dossier:
    step = begin(uow, request)
    dossier = step.dossier
    released = dossier.awarded_cents if DossierState(dossier.state) in COMMITTED else None
    ctx = step.snapshot()
    _close_item(step, "withdraw")
    audit = step.apply("withdraw", ctx, data={"released_eur": eur_json(released)})
    due.cancel(step.session, dossier=dossier.id)
    step.tell_owner(audit)
    return dossier
