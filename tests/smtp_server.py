"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose replies a test scripts per recipient."""

from __future__ import annotations

import socket
from collections import defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ScriptedHandler:
    """Replies to DATA from a per-recipient script ("451 ...", "disconnect"), then accepts."""

    scripts: dict[str, list[str]] = field(default_factory=dict)
    refused_recipients: dict[str, str] = field(default_factory=dict)
    received: list[EmailMessage] = field(default_factory=list)
    attempts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused_recipients:
            return self.refused_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        recipient = envelope.rcpt_tos[0]
        self.attempts[recipient].append(message["Message-ID"])
        script = self.scripts.get(recipient)
        if script:
            reply = script.pop(0)
            if reply == "disconnect":
                server.transport.close()
                return "250 never seen"
            return reply
        self.received.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """``SmtpServer(handler, ssl_context=…)`` for implicit TLS; other keywords (tls_context,
    require_starttls, authenticator, …) go to aiosmtpd's SMTP."""

    def __init__(self, handler: ScriptedHandler, **options: Any) -> None:
        self.handler = handler
        self.port = free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
