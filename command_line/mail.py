"""`comite outbox …` and `comite notifications preview`: the delivery side on the command line."""

from typing import Annotated, Any

import typer

from command_line.french import Typer
from command_line.main import Json, Scoped, app, choice, emit, reading, settings
from workflow.errors import InvalidInput

outbox_app = Typer(help="La file des courriels.", command_class=Scoped)
notifications_app = Typer(help="Les gabarits des courriels.", command_class=Scoped)
app.add_typer(outbox_app, name="outbox")
app.add_typer(notifications_app, name="notifications")


def every_guichet(connections: int, report: Any) -> Any:
    """Delivery for the guichet named, else for every guichet of the base, each its own relay."""
    from notifications.delivery import EveryGuichet

    return EveryGuichet(settings().engine, settings().environ, settings().instant,
                        connections=connections, report=report, guichet=settings().guichet_id)


def guichet_id() -> str:
    """The id of the guichet the command is about (the one named, else the base's only one)."""
    from workflow import context

    return str(reading(lambda s: context.guichet(s).id))


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option("--status", metavar="ÉTAT", help=(
        "held (attend la clôture), queued, inflight, retrying (à réessayer), sent ou dead "
        "(abandonné)."))] = None,
    as_json: Json = False,
) -> None:
    """Les messages, leur état, leurs essais et la dernière erreur."""
    from notifications.outbox import STATUS_LABELS, listing
    from workflow.french import count_fr

    choice(status, tuple(STATUS_LABELS), "--status")
    rows = listing(settings().engine, status=status, guichet=guichet_id())
    if as_json:
        emit(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']:>5}  {STATUS_LABELS[row['status']]:<11} "
                   f"{count_fr(row['attempts'], 'essai'):<9}  {row['to']:<40} {row['subject']}")
        if row["last_error"]:
            typer.echo(f"       dernière erreur : {row['last_error']}")


@outbox_app.command("send")
def outbox_send(
    connections: Annotated[int, typer.Option("--connections", min=1, max=32, metavar="N",
                                             help="Connexions SMTP en parallèle.")] = 8,
) -> None:
    """Envoie ce qui est dû (de chaque guichet, ou du seul --guichet), avec nouvel essai des
    erreurs temporaires."""
    import asyncio

    from notifications.outbox import STATUS_LABELS
    from workflow.french import count_fr

    def told(message: Any, status: str, said: str | None) -> None:
        if status != "sent":
            typer.echo(f"n°{message.id} à {message.recipient} : {STATUS_LABELS[status]} ({said})")

    totals = asyncio.run(every_guichet(connections, told).run())
    typer.echo(f"{count_fr(totals['sent'], 'envoyé')}, {totals['retrying']} à réessayer, "
               f"{count_fr(totals['dead'], 'abandonné')}, {totals['requeued']} repris après "
               "interruption")


@outbox_app.command("retry")
def outbox_retry(message: Annotated[int, typer.Argument(
        metavar="ID", help="Numéro du message (outbox list).")]) -> None:
    """Remet en file un message abandonné (même Message-ID)."""
    from notifications.outbox import retry

    retry(settings().engine, message=message, now=settings().instant(),
          guichet=settings().guichet_id)
    typer.echo(f"message n°{message} remis en file")


@notifications_app.command("preview")
def preview(name: Annotated[str, typer.Argument(metavar="GABARIT")],
            html: Annotated[bool, typer.Option("--html", help="La partie HTML.")] = False) -> None:
    """Affiche un gabarit rendu avec son contexte d'exemple (avec --guichet, tel que ce guichet
    l'envoie, ses propres gabarits compris)."""
    from notifications.render import names, render
    from notifications.samples import SAMPLES, for_guichet
    from workflow import context

    if name not in SAMPLES:
        raise InvalidInput(f"gabarit inconnu « {name} » ({', '.join(names())})", field="NAME")
    sample, override = SAMPLES[name], None
    if settings().guichet_id is not None:
        loaded = reading(context.guichet)
        sample, override = for_guichet(loaded, sample), loaded.templates
    subject, text, body, _ = render(name, sample, override=override)
    typer.echo(f"Objet : {subject}\n")
    typer.echo(body if html else text)
