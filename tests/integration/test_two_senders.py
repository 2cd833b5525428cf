"""Two `comite outbox send` processes on one queue: every message delivered once, none lost."""

from __future__ import annotations

import os
import subprocess
from collections import Counter

from sqlmodel import select

from tests.helpers import COMITE, ROOT, queue_messages
from tests.smtp_server import ScriptedHandler, SmtpServer
from workflow.db import UnitOfWork
from workflow.records import Outbox

MESSAGES = 2000


def test_two_senders_deliver_each_message_once(engine, db_url):
    queue_messages(engine, [f"o{n}@example.org" for n in range(MESSAGES)])
    handler = ScriptedHandler()
    with SmtpServer(handler) as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COMITE_DATABASE_URL": db_url,
               "COMITE_SMTP_HOST": "127.0.0.1", "COMITE_SMTP_PORT": str(server.port)}
        senders = [subprocess.Popen([*COMITE, "outbox", "send", "--connections", "4"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env) for _ in range(2)]
        outputs = [sender.communicate(timeout=300) for sender in senders]
    assert [s.returncode for s in senders] == [0, 0], outputs
    sent = [int(out.split(" envoyé")[0].replace("\u202f", "")) for out, _ in outputs]  # 1 020
    assert sum(sent) == MESSAGES and min(sent) > 0  # both took part; each counted once
    copies = Counter(str(m["Message-ID"]) for m in handler.received)
    with UnitOfWork(engine) as uow:
        rows = list(uow.session.exec(select(Outbox)))
    assert {row.status for row in rows} == {"sent"}
    assert set(copies) == {row.message_id for row in rows}  # none lost
    assert max(copies.values()) == 1  # none twice
