"""Delivery to a real SMTP server on 127.0.0.1: retries keep the Message-ID, 5xx are final."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlmodel import select

from notifications.outbox import RetryPolicy, listing, requeue_stuck, retry
from notifications.smtp import Delivery, SmtpMailer, SmtpSettings
from tests.helpers import at, queue_messages
from tests.smtp_server import ScriptedHandler, SmtpServer
from workflow.db import UnitOfWork
from workflow.records import Outbox


class Clock:
    def __init__(self):
        self.instant = at("2021-06-23 08:00")

    def __call__(self):
        return self.instant

    def later(self, **delta):
        self.instant += timedelta(**delta)


def queue(engine, *recipients):
    queue_messages(engine, list(recipients), created_at=at("2021-06-23 07:00"))


def deliver(engine, server, clock, connections=2):
    config = SmtpSettings(host="127.0.0.1", port=server.port,
                          mail_from="Guichet <guichet@example.org>")
    delivery = Delivery(engine, lambda: SmtpMailer(config), config.mail_from, clock,
                        connections=connections, rng=random.Random(7))
    return asyncio.run(delivery.run())


def rows(engine):
    return {row["to"]: row for row in listing(engine)}


@pytest.fixture
def clock():
    return Clock()


def test_temporary_failures_are_retried_with_the_same_message_id(engine, clock):
    handler = ScriptedHandler(scripts={"owner@example.org": [
        "421 4.3.0 service not available", "450 4.2.0 mailbox busy", "451 4.3.0 try later"]})
    queue(engine, "owner@example.org")
    with SmtpServer(handler) as server:
        for _ in range(3):
            deliver(engine, server, clock)
            row = rows(engine)["owner@example.org"]
            assert row["status"] == "retrying" and row["last_error"].startswith("4")
            clock.later(hours=7)  # past the longest backoff
        deliver(engine, server, clock)
    row = rows(engine)["owner@example.org"]
    assert (row["status"], row["attempts"]) == ("sent", 4)
    tried = handler.attempts["owner@example.org"]
    assert len(tried) == 4 and len(set(tried)) == 1 and tried[0] == row["message_id"]
    assert handler.received[0]["Message-ID"] == row["message_id"]


def test_a_retry_waits_for_its_backoff(engine, clock):
    handler = ScriptedHandler(scripts={"owner@example.org": ["451 4.3.0 try later"]})
    queue(engine, "owner@example.org")
    with SmtpServer(handler) as server:
        deliver(engine, server, clock)
        deliver(engine, server, clock)  # nothing due yet
        assert len(handler.attempts["owner@example.org"]) == 1
        clock.later(minutes=2)
        deliver(engine, server, clock)
    assert rows(engine)["owner@example.org"]["status"] == "sent"


@pytest.mark.parametrize("reply", ["550 5.1.1 no such user", "554 5.7.1 rejected"])
def test_permanent_failures_are_dead_after_one_attempt_with_the_reply_kept(engine, clock, reply):
    handler = ScriptedHandler(scripts={"owner@example.org": [reply]})
    queue(engine, "owner@example.org")
    with SmtpServer(handler) as server:
        deliver(engine, server, clock)
        clock.later(days=1)
        deliver(engine, server, clock)
    row = rows(engine)["owner@example.org"]
    assert (row["status"], row["attempts"], row["last_error"]) == ("dead", 1, reply)


def test_a_disconnect_after_data_is_retried(engine, clock):
    handler = ScriptedHandler(scripts={"owner@example.org": ["disconnect"]})
    queue(engine, "owner@example.org", "other@example.org")
    with SmtpServer(handler) as server:
        deliver(engine, server, clock, connections=1)
        assert rows(engine)["owner@example.org"]["status"] == "retrying"
        clock.later(hours=7)
        deliver(engine, server, clock, connections=1)
    assert {r["status"] for r in rows(engine).values()} == {"sent"}
    assert len(handler.received) == 2


def test_a_refused_recipient_does_not_stop_the_others(engine, clock):
    handler = ScriptedHandler(refused_recipients={"gone@example.org": "550 5.1.1 unknown"})
    queue(engine, "a@example.org", "gone@example.org", "b@example.org")
    with SmtpServer(handler) as server:
        deliver(engine, server, clock)
    states = {to: row["status"] for to, row in rows(engine).items()}
    assert states == {"a@example.org": "sent", "gone@example.org": "dead", "b@example.org": "sent"}
    assert rows(engine)["gone@example.org"]["last_error"] == "550 5.1.1 unknown"


def test_a_dead_message_can_be_retried_with_its_message_id(engine, clock):
    handler = ScriptedHandler(scripts={"owner@example.org": ["554 5.7.1 rejected"]})
    queue(engine, "owner@example.org")
    with SmtpServer(handler) as server:
        deliver(engine, server, clock)
        dead = rows(engine)["owner@example.org"]
        retry(engine, message=dead["id"], now=clock())
        deliver(engine, server, clock)
    row = rows(engine)["owner@example.org"]
    assert row["status"] == "sent" and row["message_id"] == dead["message_id"]


def test_a_row_stuck_in_flight_is_requeued_with_its_message_id(engine, clock):
    queue(engine, "owner@example.org")
    with UnitOfWork(engine, write=True) as uow:
        row = uow.session.exec(select(Outbox)).one()
        row.status, row.claimed_at = "inflight", clock()
        uow.session.add(row)
        uow.commit()
    policy = RetryPolicy()
    assert requeue_stuck(engine, now=clock() + timedelta(minutes=5), policy=policy) == 0
    assert requeue_stuck(engine, now=clock() + timedelta(minutes=11), policy=policy) == 1
    clock.later(minutes=11)
    with SmtpServer(ScriptedHandler()) as server:
        deliver(engine, server, clock)
    assert rows(engine)["owner@example.org"]["status"] == "sent"


def test_held_decisions_are_not_sent_before_the_session_closes(desk, clock):
    reference = desk.accepted()
    handler = ScriptedHandler()
    clock.instant = at("2021-06-22 11:00")
    with SmtpServer(handler) as server:
        deliver(desk.engine, server, clock)
        assert not [m for m in handler.received if "Décision" in m["Subject"]]
        desk.session("close", "2021-06-22", now="2021-06-22 12:00")
        clock.later(hours=2)
        deliver(desk.engine, server, clock)
    [decision] = [m for m in handler.received if "Décision" in m["Subject"]]
    assert reference in decision["Subject"]
    parts = {part.get_content_type() for part in decision.walk()}
    assert {"text/plain", "text/html"} <= parts


def test_convening_and_moving_a_session_send_one_invitation_updated_in_place(desk, clock):
    desk.scheduled(day="2021-09-14")
    desk.session("convene", "2021-09-14", now="2021-08-01 10:00")
    desk.session("move", "2021-09-14", now="2021-08-02 10:00", new_day="2021-09-21")
    handler = ScriptedHandler()
    clock.instant = at("2021-08-02 11:00")
    with SmtpServer(handler) as server:
        deliver(desk.engine, server, clock)
    member = [m for m in handler.received if m["To"] == "membre.dinum@example.org"]
    invitations = []
    for message in member:
        [calendar] = [p for p in message.walk() if p.get_content_type() == "text/calendar"
                      and p.get_filename() is None]  # inline; the .ics file is the same text
        assert calendar.get_param("method") == "REQUEST"
        invitations.append(calendar.get_content())
    first, update = invitations
    uid = [line for line in first.splitlines() if line.startswith("UID:")]
    assert uid and uid == [line for line in update.splitlines() if line.startswith("UID:")]
    assert "SEQUENCE:0" in first and "DTSTART;TZID=Europe/Paris:20210914T093000" in first
    assert "SEQUENCE:1" in update and "DTSTART;TZID=Europe/Paris:20210921T093000" in update


def test_temporary_failures_give_up_after_the_attempt_cap(engine, clock):
    handler = ScriptedHandler(scripts={"owner@example.org": ["451 4.3.0 later"] * 3})
    queue(engine, "owner@example.org")
    with SmtpServer(handler) as server:
        config = SmtpSettings(host="127.0.0.1", port=server.port, mail_from="G <g@example.org>")
        delivery = Delivery(engine, lambda: SmtpMailer(config), config.mail_from, clock,
                            policy=RetryPolicy(max_attempts=3), rng=random.Random(1))
        for _ in range(3):
            asyncio.run(delivery.run())
            clock.later(hours=7)
    row = rows(engine)["owner@example.org"]
    assert (row["status"], row["attempts"]) == ("dead", 3)
    assert row["last_error"] == "451 4.3.0 later ; abandonné après 3 essais en 0 jour"


def test_temporary_failures_give_up_once_the_message_is_too_old(engine, clock):
    handler = ScriptedHandler(scripts={"owner@example.org": ["451 4.3.0 later"]})
    queue(engine, "owner@example.org")
    clock.later(days=4)  # queued three days ago at most is the default
    with SmtpServer(handler) as server:
        deliver(engine, server, clock)
    assert rows(engine)["owner@example.org"]["status"] == "dead"


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling():
    policy = RetryPolicy()
    rng = random.Random(3)
    delays = [policy.delay(n, rng) for n in range(1, 12)]
    assert timedelta(seconds=30) <= delays[0] <= timedelta(seconds=90)
    assert timedelta(minutes=2) <= delays[2] <= timedelta(minutes=6)
    assert all(d <= timedelta(hours=9) for d in delays)
    assert len({round(d.total_seconds()) for d in delays}) == len(delays)  # jittered


class CountingMailer:
    """Accepts every message, noting how many rows were in flight when each one went out."""

    def __init__(self, engine, seen: list[int], sent: set[str]) -> None:
        self.engine, self.seen, self.sent = engine, seen, sent

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def send(self, email, recipient):
        # claimed and not sent yet (a message sent stays in flight until its result is written)
        self.seen.append(sum(1 for row in listing(self.engine, status="inflight")
                             if row["message_id"] not in self.sent))
        self.sent.add(email["Message-ID"])
        await asyncio.sleep(0)
        return ("sent", "250 OK")


def test_a_claim_takes_a_few_messages_per_connection_so_none_waits_long_in_flight(engine,
                                                                                   clock):
    from notifications.smtp import PER_CLAIM

    queue(engine, *[f"porteur{n}@example.org" for n in range(40)])
    seen: list[int] = []
    sent: set[str] = set()  # by every connection
    delivery = Delivery(engine, lambda: CountingMailer(engine, seen, sent), "g@example.org", clock,
                        connections=2)
    assert asyncio.run(delivery.run())["sent"] == 40
    # However slow the relay, a claimed message waits behind at most PER_CLAIM - 1 others on its
    # connection (and the one each other connection is sending), far less than the time after
    # which another sender takes it back.
    assert 2 * PER_CLAIM <= max(seen) <= 2 * PER_CLAIM + 1
    assert {row["status"] for row in listing(engine)} == {"sent"}
