"""The dossier as its owner may see it: its state in plain words, what comes next and when, the
history without the staff's notes, and the committee's decision only once its session is closed
(the decision email is held until then: the page says no more than the mail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from schedules.calendar import report_due
from states.lifecycle import BY_EVENT, HAPPENED, DossierState
from states.periods import Quarter
from workflow import context
from workflow.clock import shown
from workflow.models import AgendaItem, Audit, CommitteeSession, Dossier, Report

S = DossierState
WORDS: dict[str, str] = {
    S.submitted: "Votre dossier est déposé. La préfecture va en commencer l'instruction.",
    S.instruction: "La préfecture instruit votre dossier : elle vérifie son éligibilité avant de "
                   "l'inscrire à une session du comité de sélection.",
    S.committee: "Votre dossier est inscrit à une session du comité de sélection.",
    S.accepted: "Le comité a accordé un financement à votre projet. La préfecture va vous "
                "envoyer la convention à signer.",
    S.to_be_revised: "Le comité vous demande de revoir votre dossier avant de le déposer de "
                     "nouveau.",
    S.refused: "Le comité n'a pas retenu votre projet.",
    S.agreement: "La convention vous a été envoyée : signez-la et renvoyez-la à la préfecture.",
    S.follow_up: "Votre projet est en cours : envoyez un rapport à la fin de chaque trimestre.",
    S.completed: "Votre projet est achevé. Merci pour vos rapports.",
    S.withdrawn: "Votre dossier est retiré : il n'est plus examiné.",
}
SHOWN = {S.submitted: "déposé", S.instruction: "en instruction", S.committee: "inscrit en comité",
         S.accepted: "financement accordé", S.to_be_revised: "à revoir", S.refused: "non retenu",
         S.agreement: "convention à signer", S.follow_up: "projet en cours",
         S.completed: "achevé", S.withdrawn: "retiré"}
# Reasons an owner reads: the committee's motivations (once the session is closed) and their own.
OWN_REASONS = frozenset({"withdraw"})


def _untold(session: Session, dossier: Dossier) -> set[datetime]:
    """When the dossier's decisions were taken at sessions not yet closed (their agenda lines)."""
    rows = session.exec(
        select(AgendaItem.decided_at).join(CommitteeSession).where(  # type: ignore[call-overload]
            AgendaItem.dossier_id == dossier.id, AgendaItem.decided_at.is_not(None),  # type: ignore[union-attr]
            CommitteeSession.state != "closed"))
    return {row for row in rows if row is not None}


def view(session: Session, loaded: context.Loaded, dossier: Dossier,
         now: datetime) -> dict[str, Any]:
    """What the owner's page shows."""
    from workflow.events import open_periods

    tz = loaded.tz
    audits = session.exec(select(Audit).where(Audit.dossier_id == dossier.id)
                          .order_by(Audit.id)).all()  # type: ignore[arg-type]
    untold = _untold(session, dossier)
    history, hidden = [], None
    for audit in audits:
        rule = BY_EVENT.get(audit.event)
        if audit.event not in HAPPENED:  # the staff's own actions (links revoked…)
            continue
        hidden = audit if rule is not None and rule.decision and audit.at in untold else None
        if hidden is None:
            told = rule is not None and (rule.decision or audit.event in OWN_REASONS)
            history.append({"at": shown(audit.at, tz), "event": audit.event,
                            "what": HAPPENED[audit.event],
                            "reason": audit.reason if told else None})
    # a decision not yet told: for its owner, the dossier is still before the committee
    state = DossierState(hidden.from_state if hidden is not None and hidden.from_state
                         else dossier.state)
    committee = (session.get(CommitteeSession, dossier.session_id)
                 if dossier.session_id is not None else None)
    reports = session.exec(select(Report).where(Report.dossier_id == dossier.id)
                           .order_by(Report.period)).all()  # type: ignore[arg-type]
    periods = open_periods(session, loaded, dossier, now)
    days_after = loaded.config.report.report_due_days
    return {
        "reference": dossier.reference, "title": dossier.title,
        "applicant": dossier.applicant_name, "guichet": loaded.row.name,
        "state": state.value, "state_shown": SHOWN[state], "words": WORDS[state],
        "session": committee.day.isoformat() if committee is not None and state in (
            S.committee,) else None,
        "awarded_cents": dossier.awarded_cents if state in (
            S.accepted, S.agreement, S.follow_up, S.completed) else None,
        "periods": [{"period": p, "due_on": report_due(Quarter.parse(p), days_after).isoformat()}
                    for p in periods],
        "history": history,
        "reports": [{"period": r.period, "percent_done": r.percent_done, "status": r.status,
                     "received_at": shown(r.received_at, tz)} for r in reports],
        "revision_asked": next((h["reason"] for h in reversed(history)
                                if h["event"] == "request_revision"), None)
        if state is S.to_be_revised else None,
        "may_withdraw": state not in (S.refused, S.completed, S.withdrawn),
        "form": dossier.form,
    }


def refusal_words(error: Exception, state: str) -> str:
    """Why an owner's action was refused, in their words: not the command line's (no option
    names, no event codes)."""
    from states.refusal import EventRefused
    from workflow.errors import Conflict, said

    if isinstance(error, Conflict):
        return ("le dossier a changé depuis que vous avez ouvert cette page : rechargez-la, "
                "vérifiez-le, puis recommencez")
    if isinstance(error, EventRefused) and error.event not in error.allowed and not error.later:
        return f"cette action n'est plus possible : votre dossier est {SHOWN[S(state)]}"
    return said(error)
