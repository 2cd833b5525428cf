"""`comite token …`: the personal tokens of the HTTP API (workflow.tokens)."""

from typing import Annotated

import typer

from command_line.french import Typer
from command_line.main import Actor, Json, app, emit, reading, settings, writing

token_app = Typer(help="Les jetons personnels de l'API HTTP.")
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", metavar="NOM",
                                      help="Pour reconnaître le jeton (son outil, son usage).")],
    actor: Actor = None,
    expires: Annotated[str | None, typer.Option(
        "--expires", metavar="DATE", help="Dernier jour où il sert (sinon, jusqu'à révocation).")]
        = None,
) -> None:
    """Crée un jeton pour la personne (--actor) et l'affiche, une seule fois ; il agit avec
    exactement ses droits."""
    from workflow import tokens
    from workflow.clock import parse_day

    until = parse_day(expires, "--expires") if expires else None
    now = settings().instant()
    row, secret = writing(lambda uow: tokens.create(uow, email=settings().actor(actor),
                                                    name=name, now=now, expires_on=until))
    typer.echo(secret)
    typer.echo(f"jeton n° {row.id} « {row.name} » pour {row.email} : gardez-le, il ne sera plus "
               "affiché", err=True)


@token_app.command("list")
def token_list(actor: Actor = None, as_json: Json = False) -> None:
    """Les jetons de la personne (--actor), avec leur dernière utilisation."""
    from workflow import tokens

    rows = reading(lambda s: tokens.listing(s, settings().actor(actor)))
    if as_json:
        emit(rows)
        return
    for row in rows:
        state = (f"révoqué le {row['revoked_at']}" if row["revoked_at"]
                 else f"dernier usage {row['last_used_at'] or 'jamais'}")
        typer.echo(f"{row['id']:>4}  {row['starts_with']}…  {row['name']}  ({state})")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(metavar="ID")],
                 actor: Actor = None) -> None:
    """Révoque un jeton de la personne (--actor) : il ne sert plus, dès maintenant."""
    from workflow import tokens

    now = settings().instant()
    row = writing(lambda uow: tokens.revoke(uow, token_id=token_id,
                                            email=settings().actor(actor), now=now))
    typer.echo(f"jeton n° {row.id} « {row.name} » révoqué")
