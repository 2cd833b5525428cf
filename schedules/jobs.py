"""`comite tick`: run once every piece of due work whose time has come, each exactly once.

A row is claimed (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, the writer lock on SQLite) and
marked done inside the transaction that queues its messages: run twice, or by several processes
at once, a row is sent once; after downtime every missed row is simply due, and runs once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import col, select

from schedules.calendar import last_business_day, report_due
from states.lifecycle import DossierState
from states.periods import Quarter
from workflow import context, messages
from workflow.context import SYSTEM, Loaded
from workflow.db import Renderer, UnitOfWork, insert_new
from workflow.due import at_local, monthly_key
from workflow.french import count_fr
from workflow.models import (
    AgendaItem,
    Audit,
    CommitteeSession,
    Department,
    Dossier,
    Guichet,
    Report,
    Staff,
)
from workflow.records import DueWork

Job = Callable[[UnitOfWork, Loaded, DueWork, datetime], bool]


def _months(first: date, last: date) -> list[tuple[int, int]]:
    months, (year, month) = [], (first.year, first.month)
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def ensure_monthly_lists(engine: Engine, *, now: datetime, guichet: str | None = None) -> None:
    """The month-end list is due work too: for each guichet, one row per month since it was
    loaded (``guichet`` names one, else every guichet of the base)."""
    with UnitOfWork(engine, write=True, guichet=guichet, channel="scheduler") as uow:
        wanted = []
        for loaded in context.every_guichet(uow.session):
            today = loaded.today(now)
            since = min(loaded.today(loaded.row.loaded_at), today)
            for year, month in _months(since, today):
                period = f"{year}-{month:02d}"
                wanted.append({"guichet_id": loaded.id, "key": monthly_key(loaded.id, period),
                               "kind": "monthly_list", "period": period, "status": "pending",
                               "due_at": at_local(loaded, last_business_day(year, month),
                                                  loaded.config.calendar.monthly_list_time)})
        # Looked up by their keys (the unique index), not by scanning every piece of due work.
        known = set(uow.session.exec(select(DueWork.key).where(
            col(DueWork.key).in_([row["key"] for row in wanted]))))
        rows = [row for row in wanted if row["key"] not in known]
        # Two ticks at once may both create this month's row: the second is simply ignored.
        insert_new(uow.session, DueWork, rows, unique="key")
        uow.commit()


def _report_pending(uow: UnitOfWork, dossier: Dossier, period: str) -> bool:
    if dossier.state != DossierState.follow_up:
        return False
    return uow.session.exec(select(Report.id).where(Report.dossier_id == dossier.id,
                                                    Report.period == period)).first() is None


def _report_job(template: str) -> Job:
    def job(uow: UnitOfWork, loaded: Loaded, row: DueWork, now: datetime) -> bool:
        dossier = uow.session.get(Dossier, row.dossier_id)
        if dossier is None or not _report_pending(uow, dossier, row.period):
            return False
        due_on = report_due(Quarter.parse(row.period), loaded.config.report.report_due_days)
        if template != "report_escalation":
            messages.to_owner(uow, loaded, dossier, template, key=f"due:{row.key}", now=now,
                              period=row.period, due_on=due_on)
            return True
        department = uow.session.exec(select(Department).where(
            Department.guichet_id == loaded.id, Department.code == dossier.department)).one()
        context_ = messages.dossier_context(loaded, dossier, period=row.period, due_on=due_on,
                                            days_late=(loaded.today(now) - due_on).days,
                                            name=department.contact_name)
        context_.pop("guichet")
        context_.pop("contact")  # the prefecture is the contact: it needs no pointer to itself
        messages.to_person(uow, loaded, department.contact_email, template,
                           key=f"due:{row.key}", now=now, **context_)
        return True

    return job


def _end_date_warning(uow: UnitOfWork, loaded: Loaded, row: DueWork, now: datetime) -> bool:
    dossier = uow.session.get(Dossier, row.dossier_id)
    if dossier is None or dossier.state != DossierState.follow_up:
        return False
    messages.to_owner(uow, loaded, dossier, "end_date_warning", key=f"due:{row.key}", now=now,
                      end_date=dossier.end_date,
                      results_deadline=loaded.config.guichet.results_deadline)
    return True


def _coordinators(uow: UnitOfWork, loaded: Loaded) -> list[Staff]:
    return list(uow.session.exec(select(Staff).where(
        Staff.guichet_id == loaded.id, Staff.active, Staff.role == "coordinator")))


def _session_job(template: str) -> Job:
    def job(uow: UnitOfWork, loaded: Loaded, row: DueWork, now: datetime) -> bool:
        committee = uow.session.get(CommitteeSession, row.session_id)
        if committee is None or committee.state != "planned":
            return False
        size = uow.session.exec(select(func.count()).select_from(AgendaItem)
                                .where(AgendaItem.session_id == committee.id)).one()
        closes = context.view(loaded, committee)
        assert closes is not None
        for person in _coordinators(uow, loaded):
            messages.to_person(uow, loaded, person.email, template, key=f"due:{row.key}",
                               now=now, name=person.name, session_day=committee.day,
                               closes_on=closes.agenda_closes_on, agenda_size=int(size))
        return True

    return job


def _monthly_list(uow: UnitOfWork, loaded: Loaded, row: DueWork, now: datetime) -> bool:
    from reports.monthly import build, to_csv

    report = build(uow.session, row.period, loaded)
    for email in loaded.config.report.contacts:
        messages.to_person(uow, loaded, email, "monthly_list", key=f"due:{row.key}", now=now,
                           name="Madame, Monsieur", month=row.period, count=len(report.lines),
                           attachment=(f"laureats-{row.period}.csv", to_csv(report)))
    return True


# What each kind of due work is, as people read it.
JOB_LABELS = {
    "report_reminder": "rappel de rapport trimestriel",
    "report_overdue": "rapport en retard",
    "report_escalation": "alerte de retard à la préfecture",
    "end_date_warning": "avertissement de date de fin",
    "agenda_closing": "rappel de clôture de l'ordre du jour",
    "session_not_convened": "alerte de session non convoquée",
    "monthly_list": "liste mensuelle des lauréats",
    "failed": "tâche en échec (voir due_work.error)",
    "expired": "relance périmée, non envoyée",
}

# A reminder or a warning whose moment is this far behind the engine's clock (a service stopped
# for months, a campaign replayed years later) says nothing true any more: it is marked expired
# rather than mailed. Month-end lists never expire: each missed month is still produced once.
EXPIRE_AFTER = timedelta(days=30)


def _of(query: Any, guichet: str | None) -> Any:
    """``query`` on the due work of one guichet, or of every guichet when ``guichet`` is None."""
    return query if guichet is None else query.where(col(DueWork.guichet_id) == guichet)


def expire_stale(engine: Engine, *, now: datetime, guichet: str | None = None) -> int:
    with UnitOfWork(engine, write=True, channel="scheduler") as uow:
        result = uow.session.execute(_of(
            update(DueWork)
            .where(col(DueWork.status) == "pending", col(DueWork.kind) != "monthly_list",
                   col(DueWork.due_at) < now - EXPIRE_AFTER), guichet)
            .values(status="expired", done_at=now))
        uow.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

JOBS: dict[str, Job] = {
    "report_reminder": _report_job("report_due"),
    "report_overdue": _report_job("report_overdue"),
    "report_escalation": _report_job("report_escalation"),
    "end_date_warning": _end_date_warning,
    "agenda_closing": _session_job("agenda_closing"),
    "session_not_convened": _session_job("session_not_convened"),
    "monthly_list": _monthly_list,
}


def _run_one(engine: Engine, render: Renderer, row_id: int, now: datetime) -> str | None:
    """Claim one row and do its work in the same transaction; None if another tick took it."""
    with UnitOfWork(engine, write=True, render=render, channel="scheduler") as uow:
        # SKIP LOCKED: a row another process is working on is passed over at once, not waited
        # for; once that process commits, the row is done and no longer matches.
        row = uow.session.exec(
            select(DueWork).where(col(DueWork.id) == row_id, col(DueWork.status) == "pending")
            .with_for_update(skip_locked=True)).first()
        if row is None:
            return None
        row.status, row.done_at = "done", now
        uow.session.add(row)
        guichet = uow.session.get(Guichet, row.guichet_id)
        assert guichet is not None
        sent = JOBS[row.kind](uow, Loaded(guichet), row, now)
        uow.session.add(Audit(guichet_id=row.guichet_id, dossier_id=row.dossier_id,
                              session_id=row.session_id,
                              action=f"due.{row.kind}", event=row.kind, at=now, actor=SYSTEM,
                              data={"period": row.period, "sent": sent,
                                    "due_at": row.due_at.isoformat()}))
        uow.commit()
        return row.kind if sent else f"{row.kind} (sans objet)"


def _fail(engine: Engine, row_id: int, now: datetime, error: Exception) -> str | None:
    """Mark a row that raised as failed, with its error, in a transaction of its own."""
    from notifications.render import one_line

    said = one_line(f"{type(error).__name__}: {error}")[:500]
    with UnitOfWork(engine, write=True, channel="scheduler") as uow:
        row = uow.session.exec(select(DueWork).where(col(DueWork.id) == row_id,
                                                     col(DueWork.status) == "pending")).first()
        if row is None:
            return None
        row.status, row.done_at, row.error = "failed", now, said
        uow.session.add(row)
        uow.commit()
        return row.kind


def tick(engine: Engine, *, now: datetime, render: Renderer,
         report: Callable[[str], None] | None = None, guichet: str | None = None) -> Counter[str]:
    """Run every due row once; returns what was done, by kind; ``report`` hears each piece.

    Every guichet of the base, each on its own calendar, or only ``guichet``. A row whose work
    raises is marked failed with its error (counted as ``failed``) and the others still run: one
    bad dossier never stops the calendar of everyone else."""
    ensure_monthly_lists(engine, now=now, guichet=guichet)
    done: Counter[str] = Counter()
    expired = expire_stale(engine, now=now, guichet=guichet)
    if expired:
        done["expired"] = expired
        if report is not None:
            report(count_fr(expired, "relance périmée, non envoyée", "relances périmées, non envoyées"))
    with UnitOfWork(engine) as uow:
        due = list(uow.session.exec(_of(
            select(DueWork.id).where(col(DueWork.status) == "pending", col(DueWork.due_at) <= now)
            .order_by(col(DueWork.due_at), col(DueWork.id)), guichet)))
    for row_id in due:
        assert row_id is not None
        try:
            kind = _run_one(engine, render, row_id, now)
        except (OperationalError, InterfaceError):
            raise  # the database is away: the row stays pending for the next tick
        except Exception as error:  # noqa: BLE001 - isolated, recorded and reported below
            kind = _fail(engine, row_id, now, error)
            if kind is not None:
                done["failed"] += 1
                if report is not None:
                    report(f"{kind} (tâche n°{row_id}) : en échec, {error}")
            continue
        if kind is not None:
            done[kind] += 1
            if report is not None:
                report(f"{kind} (tâche n°{row_id})")
    return done
