"""Peak memory of `comite serve` on a large base: 100,000 dossiers in follow-up (each with its
next report reminder pending, some of them due) and 10,000 messages queued.

    python bench/serve_memory.py [--dossiers 100000] [--messages 10000] [--due 2000]

The base is SQLite, filled by SQL; `comite serve` runs as its own process with its clock at
1 March 2022 (``COMITE_NOW``), delivering to an aiosmtpd sink on 127.0.0.1 and serving the site.
The script waits until the tick has done what is due and every message has left, asks the site
a few pages meanwhile, then stops the service with SIGTERM. It prints the resident memory once
the service is up on the base, and the peak (the kernel's VmHWM) over the whole run; goal:
under 150 MB.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import make_engine, queue_messages  # noqa: E402
from tests.smtp_server import free_port  # noqa: E402

GOAL_MB = 150


def base(path: Path, dossiers: int, messages: int, due: int) -> None:
    """The guichet of the examples with ``dossiers`` in follow-up, a reminder pending for each
    (``due`` of them due), and ``messages`` acknowledgements queued."""
    engine = make_engine(f"sqlite:///{path}")
    queue_messages(engine, ["modele@example.org"])  # one rendered message, copied below
    engine.dispose()
    form = ('{"applicant": {"name": "Commune", "kind": "commune", "population": 1200, '
            '"siren": "212900096", "department": "29"}, "contact": {"first_name": "A", '
            '"last_name": "B", "email": "o@example.org"}, "presentation": "Un projet.", '
            '"stage": "idea", "commitment": true}')
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN")
    connection.execute(f"""
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
        INSERT INTO dossier (guichet_id, reference, revision, state, version, measure,
            department, applicant_name, applicant_kind, siren, title, title_key, owner_email,
            total_cost_cents, requested_cents, awarded_cents, end_date, signed_on, form,
            submitted_at, updated_at, population, link_key)
        SELECT 'bretagne-2021', printf('BZH-2021-%06d', i), 1, 'follow_up', 5,
            (CASE i % 3 WHEN 0 THEN '3a' WHEN 1 THEN '3b' ELSE '3c' END),
            (CASE i % 4 WHEN 0 THEN '22' WHEN 1 THEN '29' WHEN 2 THEN '35' ELSE '56' END),
            'Commune ' || i, 'commune', '212900096', 'Projet ' || i, 'projet ' || i,
            'porteur' || i || '@example.org', 2000000, 1500000, 1500000, '2022-12-31',
            '2021-09-01', '{form}', '2021-05-03 08:00:00', '2021-09-01 08:00:00', 1200,
            hex(randomblob(9)) FROM n""", {"count": dossiers})
    connection.execute("""
        INSERT INTO due_work (guichet_id, key, kind, dossier_id, period, due_at, status)
        SELECT guichet_id, 'report_reminder:' || id || '::2022-Q1', 'report_reminder', id,
            '2022-Q1', CASE WHEN id <= :due THEN '2022-02-28 09:00:00'
            ELSE '2022-04-20 09:00:00' END, 'pending' FROM dossier
        WHERE state = 'follow_up'""", {"due": due})
    connection.execute("""
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
        INSERT INTO outbox (guichet_id, dedup_key, message_id, recipient, subject, text, html,
            reference, kind, status, attempts, next_attempt_at, created_at)
        SELECT o.guichet_id, 'bench:' || i, '<bench.' || i || '@example.org>',
            'destinataire' || i || '@example.org', o.subject, o.text, o.html, o.reference,
            o.kind, 'queued', 0, '2022-03-01 08:00:00', '2022-03-01 08:00:00'
        FROM n, outbox o WHERE o.recipient = 'modele@example.org'""", {"count": messages})
    connection.execute("DELETE FROM outbox WHERE recipient = 'modele@example.org'")
    connection.execute("COMMIT")
    connection.close()


def memory_kb(pid: int, field: str) -> int:
    """A line of /proc/PID/status, in kB: VmRSS now, VmHWM the peak so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def asked(url: str) -> int:
    """The status the site answers ``url`` with (an error page is an answer too)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def left(path: Path) -> tuple[int, int]:
    """Messages not yet sent, reminders due not yet done."""
    connection = sqlite3.connect(path, timeout=30)
    try:
        waiting = connection.execute("SELECT count(*) FROM outbox WHERE status IN "
                                     "('queued', 'retrying', 'inflight')").fetchone()[0]
        pending = connection.execute("SELECT count(*) FROM due_work WHERE status = 'pending' "
                                     "AND due_at <= '2022-03-01 10:00:00'").fetchone()[0]
        return waiting, pending
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=2_000, help="reminders due at the start")
    parser.add_argument("--limit", type=float, default=900, help="seconds before giving up")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "serve.db"
        started = time.perf_counter()
        base(path, arguments.dossiers, arguments.messages, arguments.due)
        print(f"base : {arguments.dossiers} dossiers en suivi, {arguments.due} relances dues, "
              f"{arguments.messages} courriels en file ({time.perf_counter() - started:.0f} s)")
        smtp, web = free_port(), free_port()
        sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                 f"127.0.0.1:{smtp}", "-c", "aiosmtpd.handlers.Sink"])
        env = {**os.environ, "COMITE_DATABASE_URL": f"sqlite:///{path}",
               "COMITE_NOW": "2022-03-01T10:00", "COMITE_SMTP_HOST": "127.0.0.1",
               "COMITE_SMTP_PORT": str(smtp), "COMITE_WEB_SECRET": "x" * 32}
        service = subprocess.Popen(
            [sys.executable, "-c", "from command_line.main import main; main()", "serve",
             "--port", str(web), "--poll", "1"], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            up = None
            deadline = time.monotonic() + arguments.limit
            began = time.perf_counter()
            while time.monotonic() < deadline:
                time.sleep(0.5)
                assert service.poll() is None, "comite serve s'est arrêté"
                if up is None:
                    try:
                        for page in ("/connexion", "/api/v1/docs", "/api/v1/openapi.json",
                                     "/api/v1/guichets"):
                            asked(f"http://127.0.0.1:{web}{page}")
                        up = memory_kb(service.pid, "VmRSS")
                    except OSError:  # not listening yet
                        continue
                if left(path) == (0, 0):
                    break
            else:
                raise SystemExit(f"pas fini en {arguments.limit:.0f} s : {left(path)}")
            took = time.perf_counter() - began
            peak = memory_kb(service.pid, "VmHWM")
            service.send_signal(signal.SIGTERM)
            assert service.wait(timeout=60) == 0
        finally:
            if service.poll() is None:
                service.kill()
            sink.terminate()
            sink.wait()
    print(f"comite serve : {arguments.messages + arguments.due} courriels partis et "
          f"{arguments.due} relances faites en {took:.0f} s")
    print(f"  mémoire résidente, site prêt : {up / 1024:6.1f} Mo")
    print(f"  pic (VmHWM) sur tout le run : {peak / 1024:6.1f} Mo (objectif < {GOAL_MB} Mo)")


if __name__ == "__main__":
    main()
