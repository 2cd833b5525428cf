"""SMTP delivery with aiosmtplib: a few persistent connections, replies sorted into outcomes.

Outcomes: ("sent", reply), ("temporary", reply) for 4xx, disconnects and timeouts (retried with
the same Message-ID), ("permanent", reply) for 5xx (the row goes dead, the reply kept).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any, Protocol

from sqlalchemy import Engine

from notifications.ics import method
from notifications.outbox import Claimed, RetryPolicy, claim, record_many, requeue_stuck
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


def build(message: Claimed, mail_from: str) -> Message:
    """The MIME message: text and HTML alternatives, and the invitation when there is one.

    Built with the standard library's email.mime classes, which store headers as given: the
    EmailMessage API parses every header it is given and folds it again on the way out, three
    times the cost, paid once per message sent. The values are ours (the subject on one line, the
    addresses from the settings and the dossier): nothing here needs parsing."""
    alternatives = [_text(message.text, "plain"), _text(message.html, "html")]
    attachments = []
    if message.ics:
        # inline, as calendars read an invitation, and as a file for those that only open files
        kind = method(message.ics)
        alternatives.append(_text(message.ics, "calendar", method=kind))
        attachments.append(_text(message.ics, "calendar", method=kind, filename="invitation.ics"))
    if message.attachment:
        name, content = message.attachment
        attachments.append(_text(content, name.rsplit(".", 1)[-1], filename=name))
    email: Message = MIMEMultipart("alternative", _subparts=alternatives)
    if attachments:
        email = MIMEMultipart("mixed", _subparts=[email, *attachments])
    name, address = parseaddr(mail_from)
    email["From"] = (formataddr((name, address), charset="utf-8")
                     if address and address.isascii() else mail_from)
    email["To"] = message.recipient
    subject = one_line(message.subject)
    email["Subject"] = (subject if subject.isascii()
                        else Header(subject, "utf-8", header_name="Subject").encode())
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email["Auto-Submitted"] = "auto-generated"
    return email


_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # text stays readable in the raw message


def _text(content: str, subtype: str, *, filename: str | None = None, **params: str) -> Message:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(content, _UTF8)  # sets the charset parameter and the transfer encoding
    for key, value in params.items():
        part.set_param(key, value)
    if filename is not None:
        part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def classify(code: int, reply: str) -> Outcome:
    return ("temporary" if 400 <= code < 500 else "permanent", f"{code} {reply}".strip())


class Mailer(Protocol):
    async def __aenter__(self) -> Mailer: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def send(self, email: Message, recipient: str) -> Outcome: ...


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

    async def send(self, email: Message, recipient: str) -> Outcome:
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
    """Deliver what is due on a few connections kept for the whole run: claim a batch when the
    queue runs dry, send, and record the results in batches, off the event loop."""

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
        totals["requeued"] = await asyncio.to_thread(
            requeue_stuck, self.engine, now=self.clock(), policy=self.policy,
            guichet=self.guichet)
        run = _Run(self, totals)
        try:
            await asyncio.gather(*(run.worker() for _ in range(self.connections)))
        finally:
            await run.recorded()
        return totals


class _Run:
    """One delivery run. The database is only touched in a thread, so that a commit waiting for
    the disk never stalls the connections; each connection opens on its first message."""

    def __init__(self, delivery: Delivery, totals: Counter[str]) -> None:
        self.delivery, self.totals = delivery, totals
        self.queue: deque[Claimed] = deque()
        self.exhausted = False
        self.claiming = asyncio.Lock()
        self.results: list[tuple[Claimed, Outcome, datetime]] = []
        self.writer: asyncio.Task[None] | None = None

    async def worker(self) -> None:
        delivery = self.delivery
        async with delivery.mailer() as mailer:
            while (message := await self.next()) is not None:
                outcome = await mailer.send(build(message, delivery.mail_from), message.recipient)
                self.results.append((message, outcome, delivery.clock()))
                self.write_soon()

    def write_soon(self) -> None:
        if self.writer is not None and not self.writer.done():
            return  # what it is writing done, it takes what came meanwhile
        if self.writer is not None:
            self.writer.result()  # a write that failed stops the run: the database is away
        self.writer = asyncio.create_task(self.write())

    async def next(self) -> Claimed | None:
        """The next message to send; when none is left, a new claim. A few messages per
        connection per claim: even if each waited out its connect and reply timeouts
        (2 × 30 s), the batch is sent well before `stuck_after` (10 min), when another sender
        would take a message of it back and send it a second time."""
        async with self.claiming:
            if not self.queue and not self.exhausted:
                delivery = self.delivery
                batch = await asyncio.to_thread(
                    claim, delivery.engine, now=delivery.clock(),
                    limit=delivery.connections * PER_CLAIM, guichet=delivery.guichet)
                self.queue.extend(batch)
                self.exhausted = not batch
            return self.queue.popleft() if self.queue else None

    async def write(self) -> None:
        """Record every result heard so far in one transaction, until none is left: results
        that arrive while one is written go in the next."""
        delivery = self.delivery
        while self.results:
            taken, self.results = self.results, []
            statuses = await asyncio.to_thread(record_many, delivery.engine, taken,
                                               policy=delivery.policy, rng=delivery.rng)
            for (message, _, _), (status, said) in zip(taken, statuses, strict=True):
                self.totals[status] += 1
                if delivery.report is not None:
                    delivery.report(message, status, said)

    async def recorded(self) -> None:
        """Once the connections are done: the last results written (the writer takes every
        result that came while it ran)."""
        if self.writer is not None:
            await self.writer
