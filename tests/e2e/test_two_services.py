"""Two `comite serve` processes on one database: each reminder once, each message delivered once."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import date

from sqlmodel import col, select

from tests.helpers import COORDINATOR, INSTRUCTOR, Desk, at, form, queue_messages, wait_until
from tests.smtp_server import ScriptedHandler, SmtpServer
from workflow.db import UnitOfWork
from workflow.models import Audit
from workflow.records import DueWork, Outbox

LAUREATES = 12
EXTRA_MESSAGES = 600


def _laureates(desk: Desk, count: int) -> None:
    """``count`` projects accepted in June 2021, agreements signed on 1 July 2021."""
    references = [desk.scheduled(form()) for _ in range(count)]
    desk.held()
    for reference in references:
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00", amount=10_000,
                  reason="Projet exemplaire")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    for reference in references:
        desk.fire("send_agreement", reference, actor=INSTRUCTOR["29"], now="2021-06-25 10:00")
        desk.fire("sign_agreement", reference, actor=INSTRUCTOR["29"], now="2021-07-02 10:00",
                  signed_on=date(2021, 7, 1))


def _settled(engine, now_due) -> bool:
    with UnitOfWork(engine) as uow:
        pending = uow.session.exec(select(DueWork.id).where(
            col(DueWork.status) == "pending", col(DueWork.due_at) <= now_due)).first()
        waiting = uow.session.exec(select(Outbox.id).where(
            col(Outbox.status).in_(["queued", "retrying", "inflight"]))).first()
    return pending is None and waiting is None


def test_two_services_side_by_side_do_each_piece_of_work_once(engine, db_url, serve):
    desk = Desk(engine)
    _laureates(desk, LAUREATES)
    queue_messages(engine, [f"porteur{n}@example.org" for n in range(EXTRA_MESSAGES)],
                   created_at=at("2021-10-31 17:00"))
    handler = ScriptedHandler()
    with SmtpServer(handler) as server:
        services = [serve(db_url, server.port, "2021-10-31T18:00", "--connections", "4")
                    for _ in range(2)]
        wait_until(lambda: _settled(engine, at("2021-10-31 18:00")), limit=120, every=0.3)
        time.sleep(0.5)  # one more delivery round each: nothing left must mean nothing sent
        for service in services:
            service.send_signal(signal.SIGTERM)
        outputs = [service.communicate(timeout=60) for service in services]
    assert [s.returncode for s in services] == [0, 0], [err for _, err in outputs]
    assert all("Traceback" not in err for _, err in outputs)

    with UnitOfWork(engine) as uow:
        due = list(uow.session.exec(select(DueWork).where(col(DueWork.status) == "done")))
        runs = len(uow.session.exec(select(Audit.id).where(
            col(Audit.action).startswith("due."))).all())
        rows = list(uow.session.exec(select(Outbox)))
    ticked = "".join(err for _, err in outputs).count("(tâche n°")
    # the third quarter's reminder, overdue notice and escalation of each laureate, within a month
    assert len(due) >= LAUREATES * 3
    assert runs == len(due) == ticked  # each piece of due work run once
    assert {row.status for row in rows} == {"sent"}
    copies = Counter(str(m["Message-ID"]) for m in handler.received)
    assert set(copies) == {row.message_id for row in rows}  # none lost
    assert max(copies.values()) == 1  # none twice
