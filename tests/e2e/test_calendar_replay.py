"""The Bretagne 2021-2022 campaign replayed day by day with tick: every reminder on its date.

The expected table is written by hand from the guichet's rules (reports due 15 days after the
quarter on a business day; owner reminded 7 days before, overdue the day after, prefecture after
15 days; agenda closing 7 days before a session, coordinator reminded 3 days before that; alert
if a session is not convened 10 days before; month-end list on the last business day).
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from notifications.render import render
from schedules.jobs import tick
from tests.helpers import COORDINATOR, INSTRUCTOR, at, form, report
from workflow.db import UnitOfWork
from workflow.models import Audit, CommitteeSession

I29 = INSTRUCTOR["29"]

EXPECTED = [
    ("2021-05-31", "monthly_list", "2021-05"),
    ("2021-06-12", "agenda_closing", "2021-06-22"),
    ("2021-06-12", "session_not_convened", "2021-06-22"),
    ("2021-06-30", "monthly_list", "2021-06"),
    ("2021-07-30", "monthly_list", "2021-07"),
    ("2021-08-31", "monthly_list", "2021-08"),
    ("2021-09-04", "agenda_closing", "2021-09-14"),
    ("2021-09-04", "session_not_convened", "2021-09-14"),
    ("2021-09-30", "monthly_list", "2021-09"),
    ("2021-10-08", "report_reminder", "2021-Q3"),
    ("2021-10-09", "agenda_closing", "2021-10-19"),
    ("2021-10-09", "session_not_convened", "2021-10-19"),
    ("2021-10-16", "report_overdue", "2021-Q3"),
    ("2021-10-29", "monthly_list", "2021-10"),
    ("2021-11-30", "monthly_list", "2021-11"),
    ("2021-12-31", "monthly_list", "2021-12"),
    ("2022-01-10", "report_reminder", "2021-Q4"),
    ("2022-01-29", "agenda_closing", "2022-02-08"),
    ("2022-01-29", "session_not_convened", "2022-02-08"),
    ("2022-01-31", "monthly_list", "2022-01"),
    ("2022-02-28", "monthly_list", "2022-02"),
    ("2022-03-31", "monthly_list", "2022-03"),
    ("2022-04-08", "report_reminder", "2022-Q1"),
    ("2022-04-16", "report_overdue", "2022-Q1"),
    ("2022-04-29", "monthly_list", "2022-04"),
    ("2022-04-30", "report_escalation", "2022-Q1"),
    ("2022-05-31", "monthly_list", "2022-05"),
    ("2022-06-30", "monthly_list", "2022-06"),
    ("2022-07-29", "monthly_list", "2022-07"),
    ("2022-08-31", "monthly_list", "2022-08"),
]


def test_every_reminder_of_the_campaign_falls_on_its_date(desk):
    reference = desk.scheduled(form(end_date="2022-06-30"))  # filed 3 May, on June's agenda
    events = {
        "2021-06-15": lambda: desk.session("convene", "2021-06-22", now="2021-06-15 10:00"),
        "2021-06-22": lambda: (desk.session("open", "2021-06-22", now="2021-06-22 09:00"),
                               desk.fire("accept", reference, actor=COORDINATOR,
                                         now="2021-06-22 10:00", amount=1_000_000, reason="ok"),
                               desk.session("close", "2021-06-22", now="2021-06-22 12:00")),
        "2021-06-25": lambda: desk.fire("send_agreement", reference, actor=I29,
                                        now="2021-06-25 10:00"),
        "2021-07-01": lambda: desk.fire("sign_agreement", reference, actor=I29,
                                        now="2021-07-01 10:00", signed_on=date(2021, 7, 1)),
        "2021-10-20": lambda: desk.fire("submit_report", reference, actor=I29,
                                        now="2021-10-20 10:00", file=None,
                                        data=report(period="2021-Q3", end_date="2022-06-30")),
        "2022-01-12": lambda: desk.fire("submit_report", reference, actor=I29,
                                        now="2022-01-12 10:00", file=None,
                                        data=report(period="2021-Q4", end_date="2022-06-30")),
        "2022-07-05": lambda: desk.fire("submit_report", reference, actor=I29,
                                        now="2022-07-05 10:00", file=None,
                                        data=report(period="2022-Q2", end_date="2022-06-30",
                                                    percent_done=100)),
        "2022-07-06": lambda: desk.fire("complete", reference, actor=I29, now="2022-07-06 10:00"),
    }
    day = date(2021, 5, 1)
    while day <= date(2022, 8, 31):
        events.get(day.isoformat(), lambda: None)()
        tick(desk.engine, now=at(f"{day.isoformat()} 18:00"), render=render)
        day += timedelta(days=1)

    paris = ZoneInfo("Europe/Paris")
    with UnitOfWork(desk.engine) as uow:
        sessions = {s.id: s.day.isoformat() for s in uow.session.exec(select(CommitteeSession))}
        done = [(a.at.astimezone(paris).date().isoformat(), a.event,
                 a.data["period"] or sessions[a.session_id])
                for a in uow.session.exec(select(Audit).order_by(Audit.id))
                if a.action.startswith("due.") and a.data["sent"]]
    assert sorted(done) == sorted(EXPECTED)
    assert desk.show(reference)["state"] == "completed"
