"""`comite dossier EVENT REF`: one command per row of the lifecycle table.

Each command takes exactly what its row says the event needs (required options are bad usage
when missing), plus --actor, --if-version and, where the event does not need one, an optional
--reason recorded in the history.
"""

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from states.lifecycle import STATE_LABELS, Rule

# What each input of the table is on the command line: type, metavar, help.
INPUTS: dict[str, tuple[type, str, str]] = {
    "session": (str, "DATE", "Date de la session (AAAA-MM-JJ ou JJ/MM/AAAA)."),
    "amount": (str, "EUROS", "Montant accordé en euros (36000, 36 000 ou 36000,50)."),
    "reason": (str, "TEXTE", "Motivation, telle que le porteur la lira."),
    "date": (str, "DATE", "Date de signature (AAAA-MM-JJ ou JJ/MM/AAAA)."),
    "file": (Path, "FICHIER.json", "Le fichier JSON (formulaire révisé ou rapport)."),
}
FILE_HELP = {"resubmit": "Le formulaire révisé (JSON, comme pour dossier submit).",
             "submit_report": "Le rapport trimestriel (JSON)."}


def run_event(rule: Rule, reference: str, *, actor: str | None, reason: str | None = None,
              if_version: int | None = None, **given: Any) -> Any:
    from command_line.main import settings, writing
    from workflow import events
    from workflow.dossiers import Request
    from workflow.forms import read_json

    arguments = events.arguments(rule, given, field=lambda name: f"--{name}")
    if "file" in rule.needs:
        arguments["data"] = read_json(given["file"])
        arguments["file"] = str(given["file"])
    request = Request(reference=reference, actor=settings().actor(actor), now=settings().instant(),
                      reason=reason, expected_version=if_version)
    service = getattr(events, rule.event)
    return writing(lambda uow: service(uow, request, **arguments))


def _parameters(rule: Rule) -> list[inspect.Parameter]:
    from command_line.main import Actor

    def option(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Any:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                 default=default)

    parameters = [
        inspect.Parameter("reference", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=Annotated[str, typer.Argument(
                              metavar="REF", help="Référence du dossier (BZH-2021-0007).")]),
        option("actor", Actor, None),
    ]
    for name in ("session", "amount", "reason", "date", "file"):
        kind, metavar, help_text = INPUTS[name]
        if name == "file":
            help_text = FILE_HELP.get(rule.event, help_text)
        if name in rule.needs:
            parameters.append(option(name, Annotated[kind, typer.Option(
                f"--{name}", metavar=metavar, help=help_text)]))
        elif name == "reason":
            parameters.append(option(name, Annotated[str | None, typer.Option(
                "--reason", metavar=metavar, help="Pourquoi (gardé dans l'historique).")], None))
    parameters.append(option("if_version", Annotated[int | None, typer.Option(
        "--if-version", metavar="N",
        help="Refuser si le dossier a changé depuis la version N (lue avec dossier show).")], None))
    return parameters


def _command(rule: Rule) -> Any:
    def command(reference: str, **given: Any) -> None:
        dossier = run_event(rule, reference, **given)
        typer.echo(f"{dossier.reference} : {rule.label} → {STATE_LABELS[dossier.state]} "
                   f"(version {dossier.version})")

    parameters = _parameters(rule)
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    sources = ", ".join(STATE_LABELS[s] for s in rule.sources)
    label = f"{rule.label[0].upper()}{rule.label[1:]}"
    command.__doc__ = (f"{label} : {rule.when}.\n\n"
                       f"Depuis : {sources} ; le dossier devient {STATE_LABELS[rule.dest]}.")
    return command


def register(app: typer.Typer, rules: tuple[Rule, ...]) -> None:
    for rule in rules:
        app.command(rule.event, short_help=f"{rule.label[0].upper()}{rule.label[1:]}.")(
            _command(rule))
