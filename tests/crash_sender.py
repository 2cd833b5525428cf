"""A delivery process for the tests: prints "ready" once imported, then delivers until done.

    python tests/crash_sender.py DATABASE_URL PORT [STUCK_AFTER_SECONDS]

With no third argument a row left in flight is taken back at once (the previous sender was
killed); several live senders side by side give a longer delay.
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
    stuck_after = timedelta(seconds=float(sys.argv[3])) if len(sys.argv) > 3 else timedelta(0)
    settings = SmtpSettings(host="127.0.0.1", port=port, mail_from="Guichet <g@example.org>")
    # The previous sender was killed: whatever it left in flight is taken back at once.
    policy = RetryPolicy(stuck_after=stuck_after, first_delay=timedelta(0))
    delivery = Delivery(engine_for(url), lambda: SmtpMailer(settings), settings.mail_from,
                        lambda: datetime.now(UTC), connections=4, policy=policy)
    print("ready", flush=True)
    asyncio.run(delivery.run())
    print("done", flush=True)


if __name__ == "__main__":
    main()
