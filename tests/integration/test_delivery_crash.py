"""Kill the delivery process at random points: nothing lost, Message-IDs stable, and extra copies
only for messages the server had accepted when the sender died before recording it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from sqlmodel import select

from tests.helpers import ROOT, queue_messages, wait_until
from tests.smtp_server import ScriptedHandler, SmtpServer
from workflow.db import UnitOfWork
from workflow.records import Outbox

MESSAGES = 300
KILLS = 8

def _queue(engine):
    queue_messages(engine, [f"owner{n}@example.org" for n in range(MESSAGES)])


def _settle(handler, quiet: float = 0.3) -> None:
    """Wait until the server has received nothing new for ``quiet`` seconds."""
    seen = -1
    while seen != len(handler.received):
        seen = len(handler.received)
        time.sleep(quiet)


def _rows(engine):
    with UnitOfWork(engine) as uow:
        return {row.message_id: row.status for row in uow.session.exec(select(Outbox))}


def test_killing_the_sender_loses_nothing_and_duplicates_only_in_the_crash_window(engine, db_url):
    _queue(engine)
    expected = set(_rows(engine))
    handler = ScriptedHandler()
    rng = random.Random(2021)
    kills = window = 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with SmtpServer(handler) as server:
        for attempt in range(40):
            if all(status == "sent" for status in _rows(engine).values()):
                break
            sender = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "crash_sender.py"), db_url,
                 str(server.port)], stdout=subprocess.PIPE, text=True, env=env)
            assert sender.stdout is not None and sender.stdout.readline().strip() == "ready"
            # Kill after a random number of deliveries, so each kill lands mid-delivery
            # however fast this machine is.
            count = len(handler.received) + rng.randint(1, 30)
            wait_until(lambda count=count, sender=sender: (len(handler.received) >= count
                                                           or sender.poll() is not None),
                       limit=10, every=0.002)
            if attempt < KILLS and sender.poll() is None:  # then let one run finish the queue
                sender.send_signal(signal.SIGKILL)
                kills += 1
            sender.wait(timeout=30)
            sender.stdout.close()
            _settle(handler)  # a message whose DATA went out before the kill may land just after
            received = {str(m["Message-ID"]) for m in handler.received}
            # The crash window: accepted by the server, still in flight in the database.
            window += sum(1 for mid, status in _rows(engine).items()
                          if status == "inflight" and mid in received)
        final = _rows(engine)
    copies = Counter(str(m["Message-ID"]) for m in handler.received)
    assert kills == KILLS, "the sender finished before every kill: the test proved less"
    assert set(final.values()) == {"sent"}
    assert set(copies) == expected  # 0 lost, and no Message-ID ever changed
    extra = sum(count - 1 for count in copies.values())
    assert extra <= window
