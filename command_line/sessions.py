"""`comite session …`: list, show, convene, open, close, move."""

from pathlib import Path
from typing import Annotated

import typer

from command_line.main import Actor, Json, emit, parse_day, reading, session_app, settings, writing
from states.sessions import SESSION_LABELS

Day = Annotated[str, typer.Argument(metavar="DATE", help="Date de la session (AAAA-MM-JJ ou JJ/MM/AAAA).")]


@session_app.command("list")
def session_list(as_json: Json = False) -> None:
    """Les sessions et la taille de leur ordre du jour."""
    from workflow import views
    from workflow.french import count_fr

    rows = reading(views.session_list)
    if as_json:
        emit(rows)
        return
    for row in rows:
        moved = f" (déplacée du {row['moved_from']})" if row["moved_from"] else ""
        typer.echo(f"{row['date']}  {SESSION_LABELS[row['state']]:<9} "
                   f"{count_fr(row['agenda_size'], 'dossier')}{moved}")


@session_app.command("show")
def session_show(day: Day, as_json: Json = False) -> None:
    """Une session et son ordre du jour."""
    from workflow import views

    when = parse_day(day, "DATE")
    assert when is not None
    document = reading(lambda s: views.session_show(s, when))
    if as_json:
        emit(document)
        return
    from states.lifecycle import HAPPENED
    typer.echo(f"session du {document['date']} : {SESSION_LABELS[document['state']]}")
    for item in document["agenda"]:  # what was decided, as a history says it
        decision = HAPPENED[item["decision"]] if item["decision"] else "à décider"
        typer.echo(f"  {item['position']}. {item['reference']}  {decision}")


def _lifecycle(name: str, help_text: str) -> None:
    def command(day: Day, actor: Actor = None) -> None:
        from workflow import sessions

        service = getattr(sessions, "open_session" if name == "open" else name)
        when = parse_day(day, "DATE")
        now = settings().instant()
        committee = writing(lambda uow: service(uow, day=when, actor=settings().actor(actor),
                                                now=now))
        typer.echo(f"session du {committee.day.isoformat()} : {SESSION_LABELS[committee.state]}")

    command.__doc__ = help_text
    session_app.command(name)(command)


_lifecycle("convene", "Fige l'ordre du jour et convoque les membres.")
_lifecycle("open", "Ouvre la séance (le jour venu).")
_lifecycle("close", "Clôt la séance : chaque dossier décidé ou reporté ; décisions envoyées.")
_lifecycle("cancel", "Annule une session prévue ou convoquée dont l'ordre du jour est vide ; "
           "les membres convoqués en sont avertis et l'invitation est retirée de leur agenda.")


@session_app.command("move")
def session_move(day: Day, new_day: Annotated[str, typer.Argument(metavar="NOUVELLE_DATE",
                                                                  help="Sa nouvelle date.")],
                 actor: Actor = None) -> None:
    """Déplace une session prévue ou convoquée ; ses dossiers la suivent."""
    from workflow import sessions

    when, to = parse_day(day, "DATE"), parse_day(new_day, "NEW_DATE")
    now = settings().instant()
    committee = writing(lambda uow: sessions.move(uow, day=when, new_day=to,
                                                  actor=settings().actor(actor), now=now))
    typer.echo(f"session déplacée au {committee.day.isoformat()} ({SESSION_LABELS[committee.state]})")


@session_app.command("minutes")
def session_minutes(day: Day, output: Annotated[Path, typer.Option(
        "--output", metavar="FICHIER", help="FICHIER.html ou FICHIER.pdf")]) -> None:
    """Le procès-verbal de la session (figé à la clôture ; projet avant)."""
    from reports.minutes import write

    when = parse_day(day, "DATE")
    assert when is not None
    frozen = reading(lambda s: write(s, when, output))
    typer.echo(f"procès-verbal {'figé' if frozen else 'PROJET (séance non close)'} : {output}")
