"""Webhooks: every transition queued in its own transaction, delivered signed to a receiver on
127.0.0.1 that fails, goes down and comes back; 410 stops a URL; a crash sends one extra copy at
most; two deliverers at once send each delivery once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from tests.helpers import COORDINATOR, EXAMPLE, INSTRUCTOR, Desk, at, form, siren
from tests.smtp_server import free_port

SECRET = "secret-de-test-du-recepteur"


class Receiver:
    """An HTTP receiver that answers what it is told to, in turn, then 200; it keeps what came."""

    def __init__(self, port: int) -> None:
        self.port, self.answers, self.received = port, [], []
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                status = receiver.answers.pop(0) if receiver.answers else 200
                if status == 200:
                    receiver.received.append((dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver(free_port())
    found.start()
    yield found
    if found.server is not None:
        found.stop()


@pytest.fixture
def hooked(db_url, receiver, monkeypatch):
    """Bretagne with one webhook to the receiver, its secret in the environment."""
    from notifications.render import render
    from tests.helpers import make_engine
    from workflow import guichet, loading
    from workflow.db import UnitOfWork

    monkeypatch.setenv("COMITE_WEBHOOK_TEST", SECRET)
    engine = make_engine(db_url)
    text = EXAMPLE.read_text(encoding="utf-8") + (
        f'\n[[webhooks]]\nurl = "{receiver.url}"\nsecret_env = "COMITE_WEBHOOK_TEST"\n')
    with UnitOfWork(engine, write=True, render=render) as uow:
        loading.load(uow, guichet.parse_text(text), text, now=at("2021-05-01 09:10"),
                     folder=str(EXAMPLE.parent))
        uow.commit()
    yield Desk(engine)
    engine.dispose()


def _deliveries(desk: Desk) -> list:
    from workflow.records import WebhookDelivery

    return desk._read(lambda s: list(s.exec(select(WebhookDelivery).order_by(
        WebhookDelivery.id))))


def _deliver(desk: Desk, when: str, **options) -> dict[str, int]:
    import os

    from notifications.webhooks import deliver_due

    return deliver_due(desk.engine, now=lambda: at(when), environ=os.environ, **options)


def _valid(headers: dict[str, str], body: str) -> bool:
    stamp, _, mac = headers["X-Comite-Signature"].partition(",v1=")
    expected = hmac.new(SECRET.encode(), f"{stamp.removeprefix('t=')}.{body}".encode(),
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, expected) and stamp == f"t={headers['X-Comite-Timestamp']}"


def test_every_transition_arrives_signed_once_though_the_receiver_fails_and_goes_down(
        hooked, receiver):
    desk = hooked
    reference = desk.submit()
    desk.fire("start_instruction", reference, actor=INSTRUCTOR["29"], now="2021-05-03 11:00")
    before = len(_deliveries(desk))
    with pytest.raises(Exception, match="pas possible"):  # a refused event queues nothing
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-05-03 11:30",
                  amount=100_000, reason="Oui")
    assert len(_deliveries(desk)) == before == 2
    receiver.answers = [500, 503]
    assert _deliver(desk, "2021-05-03 12:00") == {"retrying": 2}
    receiver.stop()  # down for a while: nothing answers
    assert _deliver(desk, "2021-05-03 14:00") == {"retrying": 2}
    receiver.start()
    assert _deliver(desk, "2021-05-04 12:00") == {"sent": 2}
    assert _deliver(desk, "2021-05-05 12:00") == {}
    bodies = [json.loads(body) for _, body in receiver.received]
    assert [(b["event"], b["from"], b["to"], b["version"]) for b in bodies] == [
        ("submit", None, "submitted", 1), ("start_instruction", "submitted", "instruction", 2)]
    assert bodies[1] == {"guichet": "bretagne-2021", "reference": reference,
                         "event": "start_instruction", "from": "submitted", "to": "instruction",
                         "at": "2021-05-03T11:00:00+02:00", "actor": INSTRUCTOR["29"],
                         "version": 2}
    assert all(_valid(headers, body) for headers, body in receiver.received)
    assert [d.attempts for d in _deliveries(desk)] == [3, 3]


def test_a_receiver_that_answers_410_gets_nothing_more_until_retried(hooked, receiver, db_url,
                                                                     capsys, monkeypatch):
    from tests.cli import Cli

    desk = hooked
    first = desk.submit()
    receiver.answers = [410]
    assert _deliver(desk, "2021-05-04 10:00") == {"gone": 1}
    desk.submit(form(applicant={"siren": siren(29_300_001)}, title="Second"))
    assert [d.status for d in _deliveries(desk)] == ["gone"]  # the second one was not queued
    cli = Cli(db_url, capsys, monkeypatch)
    listed = json.loads(cli.ok("webhook", "list", "--json"))
    assert listed[0]["status"] == "gone" and listed[0]["reference"] == first
    assert "410" in listed[0]["last_error"]
    assert "remise en file" in cli.ok("webhook", "retry", "1", now="2021-05-05T09:00")
    assert "remis : 1" in cli.ok("webhook", "send", now="2021-05-05T10:00")
    assert [json.loads(body)["reference"] for _, body in receiver.received] == [first]
    assert cli("webhook", "retry", "1").code == 1  # sent: nothing to retry


def test_a_crash_between_post_and_record_sends_one_extra_copy_at_most(hooked, receiver):
    import os

    from notifications.webhooks import claim, signature

    desk = hooked
    desk.submit()
    [delivery] = claim(desk.engine, now=at("2021-05-04 10:00"), limit=10)
    import httpx2

    httpx2.post(delivery.url, content=delivery.body.encode(), headers={
        "X-Comite-Timestamp": "1", "X-Comite-Signature": signature(SECRET, 1, delivery.body)})
    # the process dies here: the delivery stays in flight, and is taken back later
    assert _deliver(desk, "2021-05-04 10:05") == {}
    assert _deliver(desk, "2021-05-04 10:11") == {"sent": 1}
    assert len(receiver.received) == 2 and os.environ["COMITE_WEBHOOK_TEST"] == SECRET


def test_two_deliverers_at_once_send_each_delivery_once(hooked, receiver):
    desk = hooked
    for number in range(12):
        desk.submit(form(applicant={"siren": siren(29_400_000 + number)}, title=f"P{number}"))
    results: list[dict[str, int]] = []
    threads = [threading.Thread(target=lambda: results.append(
        _deliver(desk, "2021-05-04 10:00", limit=3))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    references = [json.loads(body)["reference"] for _, body in receiver.received]
    assert sorted(references) == sorted(set(references)) and len(references) == 12
    assert sum(done.get("sent", 0) for done in results) == 12


def test_a_webhook_is_configured_by_url_and_the_name_of_its_secret(tmp_path):
    from workflow import guichet
    from workflow.errors import InvalidInput

    text = EXAMPLE.read_text(encoding="utf-8")
    for wrong in ('url = "ftp://x"\nsecret_env = "COMITE_WEBHOOK_A"',
                  'url = "https://x.example.org/h"\nsecret_env = "PATH"',
                  'url = "https://x.example.org/h"\nsecret = "en clair"'):
        with pytest.raises(InvalidInput):
            guichet.parse_text(text + f"\n[[webhooks]]\n{wrong}\n")
    assert guichet.parse_text(text + '\n[[webhooks]]\nurl = "https://x.example.org/h"\n'
                              'secret_env = "COMITE_WEBHOOK_A"\n').webhooks[0].url == (
        "https://x.example.org/h")


def test_serve_delivers_the_webhooks_at_each_round(hooked, receiver):
    """`comite serve`'s loop runs the webhooks' delivery beside the mail's, off the event loop."""
    import asyncio
    import os
    from collections import Counter

    from notifications.render import render
    from notifications.webhooks import deliver_due
    from schedules.runner import serve

    desk = hooked
    desk.submit()
    stop = asyncio.Event()
    rounds: list[dict[str, int]] = []

    class NoMail:
        async def run(self) -> Counter:
            return Counter()

    def hooks() -> dict[str, int]:
        done = deliver_due(desk.engine, now=lambda: at("2021-05-03 10:05"), environ=os.environ)
        rounds.append(done)
        stop.set()
        return done

    asyncio.run(serve(desk.engine, render, lambda: at("2021-05-03 10:05"), NoMail(),
                      poll_seconds=0.01, stop=stop, hooks=hooks))
    assert rounds == [{"sent": 1}] and len(receiver.received) == 1
