"""A delivery process for the tests: prints "ready" once imported, then delivers until done.

    python tests/crash_sender.py DATABASE_URL PORT

A row left in flight is taken back at once: the previous sender was killed.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from notifications.outbox import RetryPolicy
from notifications.smtp import Delivery, SmtpMailer, SmtpSettings
from workflow.db import engine_for


def main() -> None:
    url, port = sys.argv[1], int(sys.argv[2])
    settings = SmtpSettings(host="127.0.0.1", port=port, mail_from="Guichet <g@example.org>")
    # The previous sender was killed: whatever it left in flight is taken back at once.
    policy = RetryPolicy(stuck_after=timedelta(0), first_delay=timedelta(0))
    delivery = Delivery(engine_for(url), lambda: SmtpMailer(settings), settings.mail_from,
                        lambda: datetime.now(UTC), connections=4, policy=policy)
    print("ready", flush=True)
    asyncio.run(delivery.run())
    print("done", flush=True)


if __name__ == "__main__":
    main()
