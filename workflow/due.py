"""Due work created, moved and cancelled in the same transaction as the change that causes it.

The dates come from the pure calendar (schedules.calendar); running the work is schedules' job.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from schedules.calendar import agenda_closes, report_due, report_periods
from workflow.context import Loaded
from workflow.db import insert_new
from workflow.models import CommitteeSession, Dossier
from workflow.records import DueWork

REPORT_KINDS = ("report_reminder", "report_overdue", "report_escalation")


def at_local(loaded: Loaded, day: date, clock: str) -> datetime:
    from zoneinfo import ZoneInfo

    local = datetime.combine(day, time.fromisoformat(clock), tzinfo=ZoneInfo(loaded.tz))
    return local.astimezone(UTC)


def key(kind: str, dossier: int | None = None, session: int | None = None, period: str = "") -> str:
    return f"{kind}:{dossier or '-'}:{session or '-'}:{period}"


def monthly_key(guichet: str, month: str) -> str:
    """A month-end list is one per guichet and month (``monthly_list:bretagne-2021:2021-06``)."""
    return f"monthly_list:{guichet}:{month}"


def _add(session: Session, loaded: Loaded, kind: str, due_at: datetime, *,
         dossier: int | None = None, committee: int | None = None, period: str = "") -> None:
    insert_new(session, DueWork, [{
        "guichet_id": loaded.id,
        "key": key(kind, dossier, committee, period), "kind": kind, "dossier_id": dossier,
        "session_id": committee, "period": period, "due_at": due_at, "status": "pending"}],
        unique="key")


def after_signature(session: Session, loaded: Loaded, dossier: Dossier) -> None:
    """The report calendar of a laureate, and a warning if it ends after the results deadline."""
    calendar = loaded.config.calendar
    assert dossier.signed_on is not None and dossier.id is not None
    days_after = loaded.config.report.report_due_days
    for quarter in report_periods(dossier.signed_on, dossier.end_date):
        due = report_due(quarter, days_after)
        for kind, day in (
            ("report_reminder", due - timedelta(days=calendar.reminder_days_before_due)),
            ("report_overdue", due + timedelta(days=1)),
            ("report_escalation", due + timedelta(days=calendar.escalation_days_after_due)),
        ):
            _add(session, loaded, kind, at_local(loaded, day, calendar.reminder_time),
                 dossier=dossier.id, period=str(quarter))
    warn_late_end(session, loaded, dossier, now=at_local(loaded, dossier.signed_on,
                                                         calendar.reminder_time))


def warn_late_end(session: Session, loaded: Loaded, dossier: Dossier, *, now: datetime) -> None:
    """An end date past the results deadline warns the owner, once per announced date."""
    if dossier.end_date > loaded.config.guichet.results_deadline:
        _add(session, loaded, "end_date_warning", now, dossier=dossier.id,
             period=dossier.end_date.isoformat())


def cancel(session: Session, *, dossier: int | None = None, committee: int | None = None,
           period: str | None = None, kinds: tuple[str, ...] | None = None) -> None:
    query = update(DueWork).where(col(DueWork.status) == "pending")
    if dossier is not None:
        query = query.where(col(DueWork.dossier_id) == dossier)
    if committee is not None:
        query = query.where(col(DueWork.session_id) == committee)
    if period is not None:
        query = query.where(col(DueWork.period) == period)
    if kinds is not None:
        query = query.where(col(DueWork.kind).in_(kinds))
    session.execute(query.values(status="cancelled"))


def session_reminders(loaded: Loaded, committee: CommitteeSession) -> dict[str, datetime]:
    calendar = loaded.config.calendar
    closes = agenda_closes(committee.day, loaded.config.guichet.agenda_closes_days_before)
    return {
        "agenda_closing": at_local(
            loaded, closes - timedelta(days=calendar.agenda_reminder_days_before),
            calendar.reminder_time),
        "session_not_convened": at_local(
            loaded, committee.day - timedelta(days=calendar.convene_by_days_before),
            calendar.reminder_time),
    }


def plan_session(session: Session, loaded: Loaded, committee: CommitteeSession,
                 now: datetime) -> None:
    """Create the session's reminders, or move them with the session (again due if still ahead)."""
    assert committee.id is not None
    for kind, due_at in session_reminders(loaded, committee).items():
        row = session.exec(select(DueWork).where(DueWork.key == key(kind, None, committee.id))
                           ).first()
        if row is None:
            _add(session, loaded, kind, due_at, committee=committee.id)
        elif row.due_at != due_at and row.status != "cancelled":
            row.due_at = due_at
            if due_at > now:
                row.status, row.done_at = "pending", None
            session.add(row)
