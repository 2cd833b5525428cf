"""`comite tick` and `comite serve`."""

from typing import Annotated, Any

import typer

from workflow.cli import app, settings


def guichet_in_base() -> str | None:
    """The guichet named (checked to be in the base), or None for every guichet."""
    from workflow.cli_mail import guichet_id

    return guichet_id() if settings().guichet_id is not None else None


@app.command("tick")
def tick_command() -> None:
    """Exécute une fois tout le travail planifié dû à l'horloge du moteur (relances, listes), de
    chaque guichet de la base ou du seul --guichet."""
    from notifications.render import render
    from schedules.jobs import JOB_LABELS, tick

    done = tick(settings().engine, now=settings().instant(), render=render,
                guichet=guichet_in_base())
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
    from schedules.runner import serve
    from workflow.cli_mail import every_guichet

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    log = logging.getLogger("comite")

    def told(message: Any, status: str, said: str | None) -> None:
        if status != "sent":  # what needs a look gets a line of its own
            log.warning("courriel n°%s à %s : %s (%s)", message.id, message.recipient,
                        STATUS_LABELS[status], said)

    asyncio.run(serve(settings().engine, render, settings().instant,
                      every_guichet(connections, told), poll_seconds=poll,
                      guichet=guichet_in_base()))
