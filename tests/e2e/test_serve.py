"""`comite serve`: ticks, delivers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.helpers import ROOT, Desk
from tests.smtp_server import ScriptedHandler, SmtpServer


def test_serve_ticks_delivers_and_stops_cleanly_on_sigterm(engine, db_url):
    desk = Desk(engine)
    desk.submit()
    handler = ScriptedHandler()
    with SmtpServer(handler) as server:
        env = {**os.environ, "COMITE_DATABASE_URL": db_url, "COMITE_NOW": "2021-06-13T09:00",
               "COMITE_SMTP_HOST": "127.0.0.1", "COMITE_SMTP_PORT": str(server.port),
               "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [sys.executable, "-c", "from workflow.cli import main; main()", "serve", "--poll",
             "0.2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(handler.received) < 4:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    subjects = [m["Subject"] for m in handler.received]
    assert any("Accusé de réception" in s for s in subjects)  # the outbox, delivered
    assert any("Ordre du jour" in s for s in subjects)  # June's agenda reminder, ticked
    assert "arrêté proprement" in err and "Traceback" not in err
    assert err.count("tick : agenda_closing (tâche n°") == 1
