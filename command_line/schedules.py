"""`comite tick` and `comite serve`."""

from typing import Annotated, Any

import typer

from command_line.main import app, settings


def guichet_in_base() -> str | None:
    """The guichet named (checked to be in the base), or None for every guichet."""
    from command_line.mail import guichet_id

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
    host: Annotated[str | None, typer.Option("--host", metavar="HÔTE", help=(
        "Adresse du site (COMITE_WEB_HOST ; 127.0.0.1 par défaut)."))] = None,
    port: Annotated[int | None, typer.Option("--port", metavar="PORT", min=0, max=65535, help=(
        "Port du site (COMITE_WEB_PORT ; 8000 par défaut)."))] = None,
) -> None:
    """Le service : relances chaque minute, envoi continu des courriels et le site web (SIGTERM
    pour arrêter)."""
    import asyncio
    import logging

    from command_line.mail import every_guichet
    from notifications.outbox import STATUS_LABELS
    from notifications.render import render
    from schedules.runner import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    log = logging.getLogger("comite")

    def told(message: Any, status: str, said: str | None) -> None:
        if status != "sent":  # what needs a look gets a line of its own
            log.warning("courriel n°%s à %s : %s (%s)", message.id, message.recipient,
                        STATUS_LABELS[status], said)

    from notifications.webhooks import deliver_due

    def hooks() -> dict[str, int]:
        return deliver_due(settings().engine, now=settings().instant, environ=settings().environ)

    asyncio.run(serve(settings().engine, render, settings().instant,
                      every_guichet(connections, told), poll_seconds=poll,
                      guichet=guichet_in_base(), web=web_server(host, port), hooks=hooks))


def web_address(host: str | None, port: int | None) -> tuple[str, int]:
    """Where the site listens: the options, else COMITE_WEB_HOST and COMITE_WEB_PORT."""
    from workflow.errors import InvalidInput

    environ = settings().environ
    host = host or environ.get("COMITE_WEB_HOST") or "127.0.0.1"
    if port is None:
        text = environ.get("COMITE_WEB_PORT") or "8000"
        if not text.isdigit() or int(text) > 65535:
            raise InvalidInput(f"COMITE_WEB_PORT « {text} » n'est pas un port (0 à 65535)",
                               field="--port")
        port = int(text)
    return host, port


def web_server(host: str | None, port: int | None, *, engine: Any = None,
               demo_login: bool = False, clock: Any = None) -> Any:
    """The web app on ``host:port``; its cookies are signed with COMITE_WEB_SECRET (every
    process serving one base needs the same), else a secret of this process alone."""
    from command_line.main import reading
    from web.app import WebSettings, create_app, loopback, server
    from web.proconnect import configured
    from workflow import context

    host, port = web_address(host, port)
    environ = settings().environ
    secret = environ.get("COMITE_WEB_SECRET")
    # the demo logs in its fictitious staff; a real service, its civil servants with ProConnect
    proconnect = None if demo_login else configured(environ, reading(context.every_guichet))
    web = WebSettings(engine or settings().engine, demo_login=demo_login,
                      secure_cookie=not loopback(host), proconnect=proconnect,
                      brand=environ.get("COMITE_WEB_BRAND", "1") != "0")
    if secret:
        web.secret = secret
    if clock is not None:
        web.clock = clock
    return server(create_app(web), host, port)
