"""`comite tick` and `comite serve`."""

from typing import Annotated, Any

import typer

from workflow.cli import app, settings


@app.command("tick")
def tick_command() -> None:
    """Exécute une fois tout le travail planifié dû à l'horloge du moteur (relances, listes)."""
    from notifications.render import render
    from schedules.jobs import JOB_LABELS, tick

    done = tick(settings().engine, now=settings().instant(), render=render)
    if not done:
        typer.echo("rien à faire")
    for kind, count in sorted(done.items()):
        name, _, note = kind.partition(" ")
        typer.echo(f"{JOB_LABELS[name]}{' ' + note if note else ''} : {count}")


@app.command("serve")
def serve_command(
    connections: Annotated[int, typer.Option("--connections", min=1, max=32, metavar="N",
                                             help="Connexions SMTP en parallèle.")] = 8,
    poll: Annotated[float, typer.Option("--poll", metavar="SECONDES",
                                        help="Secondes entre deux relèves.")] = 5.0,
) -> None:
    """Le service : relances chaque minute et envoi continu des courriels (SIGTERM pour arrêter)."""
    import asyncio
    import logging

    from notifications.outbox import STATUS_LABELS
    from notifications.render import render
    from notifications.smtp import Delivery, SmtpMailer
    from schedules.runner import serve
    from workflow.cli_mail import smtp_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    log = logging.getLogger("comite")

    def told(message: Any, status: str, said: str | None) -> None:
        if status != "sent":  # what needs a look gets a line of its own
            log.warning("courriel n°%s à %s : %s (%s)", message.id, message.recipient,
                        STATUS_LABELS[status], said)

    config = smtp_settings()
    clock = settings().instant
    delivery = Delivery(settings().engine, lambda: SmtpMailer(config), config.mail_from, clock,
                        connections=connections, report=told)
    asyncio.run(serve(settings().engine, render, clock, delivery, poll_seconds=poll))
