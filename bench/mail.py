"""Messages per second through `outbox send` against raw aiosmtplib, both to a loopback sink.

    python bench/mail.py [--messages 2000]

Both use 8 persistent connections to the same aiosmtpd sink on 127.0.0.1; the raw side builds
its messages with the standard library. Prints both rates and their ratio (goal ≥ 0.8).
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

from notifications.smtp import Delivery, SmtpMailer, SmtpSettings  # noqa: E402
from tests.helpers import make_engine, queue_messages  # noqa: E402
from tests.smtp_server import free_port  # noqa: E402

CONNECTIONS = 8


def through_outbox(folder: Path, port: int, count: int) -> float:
    engine = make_engine(f"sqlite:///{folder / 'mail.db'}")
    queue_messages(engine, [f"o{n}@example.org" for n in range(count)])
    settings = SmtpSettings(host="127.0.0.1", port=port, mail_from="G <g@example.org>")
    delivery = Delivery(engine, lambda: SmtpMailer(settings), settings.mail_from,
                        lambda: datetime.now(UTC), connections=CONNECTIONS)
    started = time.perf_counter()
    totals = asyncio.run(delivery.run())
    elapsed = time.perf_counter() - started
    assert totals["sent"] == count, totals
    return count / elapsed


def raw(port: int, count: int) -> float:
    import aiosmtplib

    async def worker(numbers: list[int]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="bench")
        await client.connect()
        for n in numbers:
            message = EmailMessage()
            message["From"], message["To"] = "G <g@example.org>", f"o{n}@example.org"
            message["Subject"] = "[BZH-2021-0001] Accusé de réception"
            message.set_content("Bonjour,\n\nnous avons bien reçu votre dossier.\n")
            message.add_alternative("<p>Bonjour,</p><p>nous avons bien reçu votre dossier.</p>",
                                    subtype="html")
            await client.send_message(message)
        await client.quit()

    async def run() -> None:
        shares = [list(range(n, count, CONNECTIONS)) for n in range(CONNECTIONS)]
        await asyncio.gather(*(worker(share) for share in shares))

    started = time.perf_counter()
    asyncio.run(run())
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    count = parser.parse_args().messages
    port = free_port()
    # The sink runs in its own process, so that it does not share the client's interpreter.
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"])
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as name:
            ours = through_outbox(Path(name), port, count)
            theirs = raw(port, count)
    finally:
        sink.terminate()
        sink.wait()
    print(f"outbox send : {ours:8.1f} messages/s ({count} messages, {CONNECTIONS} connexions)")
    print(f"aiosmtplib  : {theirs:8.1f} messages/s (mêmes connexions, messages de la stdlib)")
    print(f"ratio       : {ours / theirs:8.2f} (objectif ≥ 0.8)")


if __name__ == "__main__":
    main()
