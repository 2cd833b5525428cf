"""`comite webhook …`: the deliveries of the guichets' webhooks (notifications.webhooks)."""

from typing import Annotated

import typer

from command_line.french import Typer
from command_line.main import Json, Scoped, app, choice, emit, settings

webhook_app = Typer(help="Les livraisons des webhooks.", command_class=Scoped)
app.add_typer(webhook_app, name="webhook")


@webhook_app.command("list")
def webhook_list(
    status: Annotated[str | None, typer.Option("--status", metavar="ÉTAT", help=(
        "queued, inflight, retrying (à réessayer), sent (remis), dead (abandonné) ou gone "
        "(adresse disparue)."))] = None,
    as_json: Json = False,
) -> None:
    """Les livraisons, leur état, leurs essais et la dernière réponse du destinataire."""
    from command_line.mail import guichet_id
    from notifications.webhooks import STATUS_LABELS, listing
    from workflow.french import count_fr

    choice(status, tuple(STATUS_LABELS), "--status")
    rows = listing(settings().engine, status=status, guichet=guichet_id())
    if as_json:
        emit(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']:>5}  {STATUS_LABELS[row['status']]:<22} "
                   f"{count_fr(row['attempts'], 'essai'):<9}  {row['reference']} {row['event']}  "
                   f"→ {row['url']}")
        if row["last_error"]:
            typer.echo(f"       dernière réponse : {row['last_error']}")


@webhook_app.command("send")
def webhook_send() -> None:
    """Livre ce qui est dû, avec nouvel essai des échecs temporaires."""
    from notifications.webhooks import STATUS_LABELS, deliver_due

    done = deliver_due(settings().engine, now=settings().instant, environ=settings().environ,
                       guichet=settings().guichet_id)
    if not done:
        typer.echo("rien à livrer")
    for status, count in sorted(done.items()):
        typer.echo(f"{STATUS_LABELS[status]} : {count}")


@webhook_app.command("retry")
def webhook_retry(delivery_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Relance une livraison abandonnée ou disparue (son adresse reçoit de nouveau)."""
    from notifications.webhooks import retry

    retry(settings().engine, delivery_id, now=settings().instant(),
          guichet=settings().guichet_id)
    typer.echo(f"livraison n° {delivery_id} remise en file")
