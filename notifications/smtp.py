"""SMTP delivery with aiosmtplib: a few persistent connections, replies sorted into outcomes.

Outcomes: ("sent", reply), ("temporary", reply) for 4xx, disconnects and timeouts (retried with
the same Message-ID), ("permanent", reply) for 5xx (the row goes dead, the reply kept).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol

from sqlalchemy import Engine

from notifications.ics import method
from notifications.outbox import Claimed, RetryPolicy, claim, record, requeue_stuck
from notifications.render import one_line

Outcome = tuple[str, str]
PER_CLAIM = 5  # messages per connection in one claim


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    tls: bool = False
    username: str | None = None
    password: str | None = None
    mail_from: str = "comite <comite@example.org>"
    local_hostname: str = "comite.localdomain"
    timeout: float = 30.0
    ca_file: str | None = None  # PEM bundle to verify the relay with (else the system's)

    @classmethod
    def from_sources(cls, guichet: Mapping[str, Any], environ: Mapping[str, str]) -> SmtpSettings:
        """The guichet's [smtp] table, each value overridden by its COMITE_SMTP_* variable."""

        def pick(name: str, env: str, default: Any) -> Any:
            return environ.get(env) or guichet.get(name) or default

        def flag(name: str, env: str) -> bool:
            if env in environ:
                return environ[env].strip().lower() in ("1", "true", "yes", "oui")
            return bool(guichet.get(name, False))

        return cls(
            host=pick("host", "COMITE_SMTP_HOST", "127.0.0.1"),
            port=int(pick("port", "COMITE_SMTP_PORT", 25)),
            starttls=flag("starttls", "COMITE_SMTP_STARTTLS"),
            tls=flag("tls", "COMITE_SMTP_TLS"),
            username=pick("username", "COMITE_SMTP_USERNAME", None),
            password=environ.get("COMITE_SMTP_PASSWORD") or None,
            mail_from=pick("mail_from", "COMITE_MAIL_FROM", "comite <comite@example.org>"),
            ca_file=pick("ca_file", "COMITE_SMTP_CA_FILE", None),
        )


def build(message: Claimed, mail_from: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, and the invitation when there is one."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = one_line(message.subject)
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    if message.ics:
        # inline, as calendars read an invitation, and as a file for those that only open files
        kind = method(message.ics)
        email.add_alternative(message.ics, subtype="calendar", params={"method": kind})
        email.add_attachment(message.ics, subtype="calendar", charset="utf-8",
                             filename="invitation.ics", params={"method": kind})
    if message.attachment:
        name, content = message.attachment
        email.add_attachment(content, subtype=name.rsplit(".", 1)[-1], charset="utf-8",
                             filename=name)
    return email


def classify(code: int, reply: str) -> Outcome:
    return ("temporary" if 400 <= code < 500 else "permanent", f"{code} {reply}".strip())


class Mailer(Protocol):
    async def __aenter__(self) -> Mailer: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def send(self, email: EmailMessage, recipient: str) -> Outcome: ...


class SmtpMailer:
    """One persistent SMTP connection, reopened after a disconnect."""

    def __init__(self, settings: SmtpSettings) -> None:
        import aiosmtplib

        self.settings = settings
        self.sender = parseaddr(settings.mail_from)[1]
        self.client = aiosmtplib.SMTP(
            hostname=settings.host, port=settings.port, use_tls=settings.tls,
            start_tls=settings.starttls, username=settings.username,
            password=settings.password, local_hostname=settings.local_hostname,
            timeout=settings.timeout, cert_bundle=settings.ca_file,
        )

    async def __aenter__(self) -> SmtpMailer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.client.is_connected:
            try:
                await self.client.quit()
            except Exception:  # noqa: BLE001 - closing a connection that already failed
                self.client.close()
        # A transport closed above, or by a failed TLS handshake, finishes closing on the next
        # turn of the loop: give it that turn before the loop may end.
        await asyncio.sleep(0)

    async def send(self, email: EmailMessage, recipient: str) -> Outcome:
        import aiosmtplib

        try:
            if not self.client.is_connected:
                await self.client.connect()
            refused, reply = await self.client.send_message(email, sender=self.sender,
                                                            recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as error:
            first = error.recipients[0]
            return classify(first.code, first.message)
        except aiosmtplib.SMTPResponseException as error:
            if error.code == 421:  # the server is closing the channel
                self.client.close()
            return classify(error.code, error.message)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as error:
            self.client.close()
            return ("temporary", f"{type(error).__name__}: {error}")
        if recipient in refused:
            return classify(refused[recipient].code, refused[recipient].message)
        return ("sent", reply)


@dataclass
class Delivery:
    """Deliver what is due: claim a batch, send it on a few connections, record each result."""

    engine: Engine
    mailer: Callable[[], Mailer]
    mail_from: str
    clock: Callable[[], datetime]
    connections: int = 8
    # hears each message's fate: (message, status, what the server said or why it was given up)
    report: Callable[[Claimed, str, str | None], None] | None = None
    policy: RetryPolicy = RetryPolicy()
    rng: random.Random = random.Random()  # noqa: RUF009 - one shared generator is the point
    guichet: str | None = None  # only this guichet's messages (its relay, its From)

    async def run(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        totals["requeued"] = requeue_stuck(self.engine, now=self.clock(), policy=self.policy,
                                           guichet=self.guichet)
        # A few messages per connection per claim: even if each waited out its connect and reply
        # timeouts (2 × 30 s), the batch ends well before `stuck_after` (10 min), when another
        # sender would take a message of it back and send it a second time.
        while batch := claim(self.engine, now=self.clock(), limit=self.connections * PER_CLAIM,
                             guichet=self.guichet):
            queue: asyncio.Queue[Claimed] = asyncio.Queue()
            for message in batch:
                queue.put_nowait(message)
            workers = min(self.connections, len(batch))
            await asyncio.gather(*(self._worker(queue, totals) for _ in range(workers)))
        return totals

    async def _worker(self, queue: asyncio.Queue[Claimed], totals: Counter[str]) -> None:
        async with self.mailer() as mailer:
            while not queue.empty():
                message = queue.get_nowait()
                outcome = await mailer.send(build(message, self.mail_from), message.recipient)
                status, said = record(self.engine, message, outcome, now=self.clock(),
                                      policy=self.policy, rng=self.rng)
                totals[status] += 1
                if self.report is not None:
                    self.report(message, status, said)
