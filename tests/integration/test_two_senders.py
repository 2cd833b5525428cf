"""Two delivery processes on one queue: every message delivered exactly once, none lost."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from sqlmodel import select

from tests.helpers import ROOT, queue_messages
from tests.smtp_server import ScriptedHandler, SmtpServer
from workflow.db import UnitOfWork
from workflow.models import Outbox

MESSAGES = 2000


def test_two_senders_deliver_each_message_once(engine, db_url):
    queue_messages(engine, [f"o{n}@example.org" for n in range(MESSAGES)])
    handler = ScriptedHandler()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with SmtpServer(handler) as server:
        senders = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "crash_sender.py"),
                                     db_url, str(server.port), "600"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env) for _ in range(2)]
        outputs = [sender.communicate(timeout=300) for sender in senders]
    assert [s.returncode for s in senders] == [0, 0], outputs
    copies = Counter(str(m["Message-ID"]) for m in handler.received)
    with UnitOfWork(engine) as uow:
        rows = list(uow.session.exec(select(Outbox)))
    assert {row.status for row in rows} == {"sent"}
    assert set(copies) == {row.message_id for row in rows}  # none lost
    assert max(copies.values()) == 1  # none twice
