"""Messages per second through `outbox send` against raw aiosmtplib, both to a loopback sink.

    python bench/mail.py [--messages 400] [--rounds 6]

Both use 8 connections to the same aiosmtpd sink on 127.0.0.1 (in its own process); the raw side
builds the same message (the acknowledgement of receipt, its headers, text and HTML) with the
standard library's EmailMessage and keeps its connections for the round. The two
sides run in short alternating rounds within one run (outbox, aiosmtplib, outbox, …), each
outbox round on messages queued just before it, outside the clock: the script prints each
pair's rates and ratio, the medians and the median of the ratios (goal ≥ 0.8). It does so with
the base as comite runs it (WAL, synchronous=FULL) and with synchronous=OFF, where what is left
is the CPU each side spends. A third side, aiosmtplib sending messages made by the outbox's own
`build`, shows what the queue and the database cost apart from the message building.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rounds import alternate, report  # noqa: E402
from notifications.smtp import Delivery, SmtpMailer, SmtpSettings  # noqa: E402
from tests.helpers import make_engine, queue_messages  # noqa: E402
from tests.smtp_server import free_port  # noqa: E402

CONNECTIONS = 8


def through_outbox(folder: Path, port: int, count: int, synchronous: str):
    """A round of ``count`` messages through `Delivery`, as `outbox send` runs it."""
    from sqlalchemy import event

    engine = make_engine(f"sqlite:///{folder / f'mail-{synchronous}.db'}")
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _synchronous(dbapi_connection, _record) -> None:  # after comite's own pragmas
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous}")

    settings = SmtpSettings(host="127.0.0.1", port=port, mail_from="G <g@example.org>")

    def one_round(number: int) -> float:
        queue_messages(engine, [f"o{number}-{n}@example.org" for n in range(count)])
        delivery = Delivery(engine, lambda: SmtpMailer(settings), settings.mail_from,
                            lambda: datetime.now(UTC), connections=CONNECTIONS)
        started = time.perf_counter()
        totals = asyncio.run(delivery.run())
        elapsed = time.perf_counter() - started
        assert totals["sent"] == count, totals
        return count / elapsed

    return one_round


def raw(port: int, count: int, *, ours: bool = False):
    """A round of ``count`` messages built with the standard library's EmailMessage, sent with
    aiosmtplib: the message the outbox sends (the same acknowledgement, text and HTML, the same
    headers). With ``ours``, built by the outbox's own `build` instead: then what is left
    between the two sides is the queue, the database and the bookkeeping."""
    from email.utils import format_datetime

    import aiosmtplib

    from notifications.outbox import Claimed
    from notifications.render import render
    from notifications.samples import SAMPLES
    from notifications.smtp import build

    subject, text, html, _ = render("submitted", SAMPLES["submitted"])

    def message_for(n: int):
        if ours:
            return build(Claimed(n, f"o{n}@example.org", subject, text, html, None,
                                 f"<{n}.bench@example.org>", datetime.now(UTC), 1),
                         "G <g@example.org>")
        message = EmailMessage()
        message["From"], message["To"] = "G <g@example.org>", f"o{n}@example.org"
        message["Subject"] = subject
        message["Message-ID"] = f"<{n}.bench@example.org>"
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    async def worker(numbers: list[int]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="bench")
        await client.connect()
        for n in numbers:
            await client.send_message(message_for(n))
        await client.quit()

    async def run() -> None:
        shares = [list(range(n, count, CONNECTIONS)) for n in range(CONNECTIONS)]
        await asyncio.gather(*(worker(share) for share in shares))

    def one_round(_number: int) -> float:
        started = time.perf_counter()
        asyncio.run(run())
        return count / (time.perf_counter() - started)

    return one_round


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400, help="messages per side and round")
    parser.add_argument("--rounds", type=int, default=6)
    arguments = parser.parse_args()
    count, rounds = arguments.messages, arguments.rounds
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"])
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as name:
            for synchronous in ("FULL", "OFF"):
                pairs = alternate(through_outbox(Path(name), port, count, synchronous),
                                  raw(port, count), raw(port, count, ours=True), rounds=rounds)
                report(f"SQLite (WAL, synchronous={synchronous}), {rounds} manches de {count} "
                       f"messages sur {CONNECTIONS} connexions : outbox send, aiosmtplib "
                       "(EmailMessage), aiosmtplib (le build de l'outbox)",
                       pairs, ours="outbox", theirs="aiosmtplib", unit="msg/s", goal=0.8,
                       beside="aiosmtplib+build")
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
