"""`comite dossier EVENT REF`: one command per row of the lifecycle table."""

from pathlib import Path
from typing import Annotated, Any

import typer

from states.lifecycle import Rule
from workflow.errors import InvalidInput

# The options an event reads beyond --actor, --reason and --if-version.
OPTIONS: dict[str, set[str]] = {
    "schedule": {"session"},
    "defer": {"session"},
    "accept": {"amount"},
    "resubmit": {"file"},
    "sign_agreement": {"date"},
    "submit_report": {"file"},
}


def _refuse_extra(event: str, given: dict[str, Any]) -> None:
    for name, value in given.items():
        if value is not None and name not in OPTIONS.get(event, set()):
            raise InvalidInput(f"option sans objet pour « {event} »", field=f"--{name}")


def _arguments(event: str, given: dict[str, Any]) -> dict[str, Any]:
    """Service keyword arguments from the options, parsed and checked."""
    from states.money import AmountError, parse_eur
    from workflow.cli import parse_day
    from workflow.forms import read_json

    wanted = OPTIONS.get(event, set())
    arguments: dict[str, Any] = {}
    if "session" in wanted:
        arguments["session_day"] = parse_day(given["session"], "--session")
    if "amount" in wanted:
        try:
            amount = given["amount"]
            arguments["amount"] = parse_eur(amount) if amount is not None else None
        except AmountError as exc:
            raise InvalidInput(str(exc), field="--amount") from None
    if "date" in wanted:
        arguments["signed_on"] = parse_day(given["date"], "--date")
    if "file" in wanted:
        path = given["file"]
        arguments["data"] = read_json(path) if path is not None else None
        arguments["file"] = str(path) if path is not None else None
    return arguments


def run_event(event: str, reference: str, *, actor: str | None, reason: str | None,
              if_version: int | None, **given: Any) -> Any:
    from workflow import events
    from workflow.cli import settings, writing
    from workflow.dossiers import Request

    _refuse_extra(event, given)
    arguments = _arguments(event, given)
    request = Request(reference=reference, actor=settings().actor(actor), now=settings().instant(),
                      reason=reason, expected_version=if_version)
    service = getattr(events, event)
    return writing(lambda uow: service(uow, request, **arguments))


def _command(rule: Rule) -> Any:
    def command(
        reference: Annotated[str, typer.Argument(metavar="REF")],
        actor: Annotated[str | None, typer.Option("--actor", help="Qui agit.")] = None,
        reason: Annotated[str | None, typer.Option("--reason", help="Motivation.")] = None,
        amount: Annotated[str | None, typer.Option("--amount", help="Montant en euros.")] = None,
        session: Annotated[str | None, typer.Option("--session", help="AAAA-MM-JJ.")] = None,
        file: Annotated[Path | None, typer.Option("--file", help="Fichier JSON.")] = None,
        date: Annotated[str | None, typer.Option("--date", help="AAAA-MM-JJ.")] = None,
        if_version: Annotated[int | None, typer.Option(
            "--if-version", help="Refuser si le dossier a changé depuis cette version.")] = None,
    ) -> None:
        dossier = run_event(rule.event, reference, actor=actor, reason=reason,
                            if_version=if_version, amount=amount, session=session, file=file,
                            date=date)
        typer.echo(f"{dossier.reference} : {rule.event} → {dossier.state} "
                   f"(version {dossier.version})")

    command.__doc__ = f"{rule.label[0].upper()}{rule.label[1:]} ({', '.join(rule.sources)} → {rule.dest})."
    return command


def register(app: typer.Typer, rules: tuple[Rule, ...]) -> None:
    for rule in rules:
        app.command(rule.event)(_command(rule))
