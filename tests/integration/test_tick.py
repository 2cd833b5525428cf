"""Due work: created with the change that causes it, run once by tick, caught up after downtime."""

from __future__ import annotations

import os
import subprocess
from collections import Counter

from sqlmodel import select

from notifications.render import render
from schedules.jobs import tick
from tests.helpers import COMITE, COORDINATOR, INSTRUCTOR, ROOT, at, form, report
from workflow.db import UnitOfWork
from workflow.records import DueWork

I29 = INSTRUCTOR["29"]


def run(desk, when):
    return tick(desk.engine, now=at(when), render=render)


def kinds(desk):
    return Counter(m.kind for m in desk.outbox())


def signed(desk, *, end_date="2022-06-30"):
    return desk.in_follow_up(form(end_date=end_date))


def due_rows(desk):
    with UnitOfWork(desk.engine) as uow:
        return list(uow.session.exec(select(DueWork).order_by(DueWork.id)))


def test_signing_creates_the_report_deadlines(desk):
    signed(desk)
    rows = [(r.kind, r.period) for r in due_rows(desk) if r.dossier_id is not None]
    for period in ("2021-Q3", "2021-Q4", "2022-Q1", "2022-Q2"):
        for kind in ("report_reminder", "report_overdue", "report_escalation"):
            assert (kind, period) in rows
    reminder = next(r for r in due_rows(desk) if r.kind == "report_reminder"
                    and r.period == "2021-Q3")
    assert reminder.due_at == at("2021-10-08 08:00")


def test_tick_twice_sends_once(desk):
    signed(desk)
    first = run(desk, "2021-10-08 09:00")
    assert first["report_reminder"] == 1
    assert run(desk, "2021-10-08 09:05") == Counter()
    assert kinds(desk)["report_due"] == 1
    [due] = [m for m in desk.outbox() if m.kind == "report_due"]
    # where to file it: the dossier's own page, which the mail's link opens
    assert "Vous pouvez le déposer depuis votre dossier en ligne" in due.text and "/lien/" in due.text


def test_missed_ticks_catch_up_each_reminder_once(desk):
    signed(desk)
    run(desk, "2021-10-07 09:00")
    before = kinds(desk)
    run(desk, "2021-10-17 09:00")  # ten days without a tick: reminder and overdue both missed
    after = kinds(desk)
    assert after["report_due"] - before["report_due"] == 1
    assert after["report_overdue"] - before["report_overdue"] == 1
    run(desk, "2021-10-18 09:00")
    assert kinds(desk)["report_overdue"] == after["report_overdue"]


def test_a_received_report_cancels_its_reminders(desk):
    reference = signed(desk)
    desk.fire("submit_report", reference, actor=I29, now="2021-10-01 10:00",
              data=report(period="2021-Q3"), file=None)
    run(desk, "2021-11-30 09:00")
    assert kinds(desk)["report_due"] == 0 and kinds(desk)["report_overdue"] == 0


def test_escalation_goes_to_the_prefecture_contact(desk):
    signed(desk)
    run(desk, "2021-10-30 09:00")
    [escalation] = [m for m in desk.outbox() if m.kind == "report_escalation"]
    assert escalation.recipient == "pref29.relance@example.org"
    assert "3e trimestre 2021" in escalation.subject and "15 jours" in escalation.subject


def test_withdrawal_cancels_the_dossier_work(desk):
    reference = signed(desk)
    desk.fire("withdraw", reference, actor=I29, now="2021-08-01 10:00", reason="Abandon")
    run(desk, "2022-12-31 09:00")
    assert kinds(desk)["report_due"] == 0
    assert {r.status for r in due_rows(desk) if r.dossier_id is not None} == {"cancelled"}


def test_a_report_announcing_an_end_past_the_results_deadline_warns_the_owner_once(desk):
    reference = signed(desk, end_date="2022-12-31")
    run(desk, "2021-07-02 09:00")
    assert kinds(desk)["end_date_warning"] == 0  # on time at signature
    for period, now in (("2021-Q3", "2021-10-01 10:00"), ("2021-Q4", "2022-01-05 10:00")):
        desk.fire("submit_report", reference, actor=I29, now=now, file=None,
                  data=report(period=period, end_date="2023-03-31", status="late"))
        run(desk, now.replace("10:00", "11:00"))
    [warning] = [m for m in desk.outbox() if m.kind == "end_date_warning"]
    assert "31 mars 2023" in warning.text and "31 décembre 2022" in warning.text
    assert desk.show(reference)["end_date"] == "2023-03-31"


def test_a_moved_session_moves_its_reminders(desk):
    before = {r.kind: r.due_at for r in due_rows(desk) if r.session_id == 2}
    assert before["agenda_closing"] == at("2021-09-04 08:00")
    desk.session("move", "2021-09-14", now="2021-08-01 10:00", new_day="2021-09-28")
    after = {r.kind: r.due_at for r in due_rows(desk) if r.session_id == 2}
    assert after["agenda_closing"] == at("2021-09-18 08:00")
    assert after["session_not_convened"] == at("2021-09-18 08:00")
    def september():
        return [m for m in desk.outbox() if m.kind == "agenda_closing" and "28 septembre" in m.subject]

    run(desk, "2021-09-10 09:00")
    assert september() == []  # not yet (and June's, long past, has expired)
    run(desk, "2021-09-18 09:00")
    assert len(september()) == 1


def test_convening_in_time_cancels_the_session_reminders(desk):
    desk.session("convene", "2021-09-14", now="2021-08-20 10:00")
    assert {r.kind: r.status for r in due_rows(desk) if r.session_id == 2} == {
        "agenda_closing": "cancelled", "session_not_convened": "cancelled"}
    run(desk, "2021-09-10 09:00")
    sent = [m for m in desk.outbox() if m.kind in ("session_not_convened", "agenda_closing")]
    assert all("14 septembre" not in m.subject for m in sent)


def test_the_month_end_list_goes_to_the_report_contacts_on_the_last_business_day(desk):
    run(desk, "2021-07-29 18:00")
    assert not [m for m in desk.outbox() if m.kind == "monthly_list"
                and "juillet 2021" in m.subject]
    run(desk, "2021-07-30 18:00")
    july = [m for m in desk.outbox() if m.kind == "monthly_list" and "juillet 2021" in m.subject]
    assert {m.recipient for m in july} == {"ditp.suivi@example.org", COORDINATOR}


def test_two_processes_ticking_at_once_send_each_reminder_once(desk, db_url):
    signed(desk)
    env = {**os.environ, "COMITE_DATABASE_URL": db_url, "COMITE_NOW": "2021-10-08T18:00",
           "PYTHONPATH": str(ROOT)}
    command = [*COMITE, "tick"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    with UnitOfWork(desk.engine) as uow:
        from workflow.records import Outbox

        keys = [row.dedup_key for row in uow.session.exec(select(Outbox))
                if row.dedup_key.startswith("due:")]
    assert len(keys) == len(set(keys)) > 0
    assert kinds(desk)["report_due"] == 1  # the 3rd quarter's, due on 15 October
    assert kinds(desk)["monthly_list"] == 2 * 5  # May to September, to both contacts, once


def test_the_month_end_list_carries_the_laureates_as_a_csv(desk):
    reference = signed(desk)
    run(desk, "2021-07-30 18:00")
    with UnitOfWork(desk.engine) as uow:
        from workflow.records import Outbox

        [row] = [m for m in uow.session.exec(select(Outbox)) if m.kind == "monthly_list"
                 and "juillet 2021" in m.subject and m.recipient == COORDINATOR]
    assert row.attachment_name == "laureats-2021-07.csv"
    lines = row.attachment.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Référence;Collectivité;Département")
    assert lines[1].startswith(f"{reference};") and ";10000,00;" in lines[1]
    assert lines[-1].startswith("Total;")


def test_after_a_long_gap_stale_reminders_expire_and_every_missed_month_list_goes_once(desk):
    signed(desk)
    done = run(desk, "2026-01-10 09:00")
    assert done["expired"] > 0
    sent = kinds(desk)
    assert sent["report_due"] == sent["report_overdue"] == sent["report_escalation"] == 0
    months = 2021 * 12 + 5, 2025 * 12 + 12  # May 2021 to December 2025, each month once
    assert sent["monthly_list"] == 2 * (months[1] - months[0] + 1)
    assert run(desk, "2026-01-10 10:00")["expired"] == 0
    with UnitOfWork(desk.engine) as uow:
        rows = [row for row in uow.session.exec(select(DueWork)) if row.kind != "monthly_list"]
    assert rows and {row.status for row in rows} <= {"expired", "cancelled", "done"}
    assert sum(row.status == "expired" for row in rows) == done["expired"]
