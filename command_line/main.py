"""The command line: parse, call one service in one transaction, print; errors in one place.

The command modules (cli*.py) do without `from __future__ import annotations`: Typer reads every
command's annotations at start-up, and a string annotation costs it an eval (about 14 ms of each
command's start).
"""

import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer

from command_line.french import Command, Typer
from states.lifecycle import RULES, DossierState
from workflow.clock import parse_day  # noqa: F401  (the commands read their dates with it)
from workflow.errors import InvalidInput
from workflow.settings import Settings

GUICHET_HELP = "Le guichet (ou COMITE_GUICHET) ; inutile quand la base n'en porte qu'un."


def _guichet_given(value: str | None) -> None:
    if value is not None:
        settings().choose_guichet(value)


@cache
def _guichet_option() -> Any:
    """The ``--guichet`` option, built by Typer itself (whose Click classes vary by version)."""
    probe = typer.Typer(add_completion=False)

    @probe.command()
    def scoped(guichet: Annotated[str | None, typer.Option(
            "--guichet", metavar="ID", help=GUICHET_HELP, callback=_guichet_given,
            expose_value=False)] = None) -> None:
        """Never run: it only carries the option."""

    return next(p for p in typer.main.get_command(probe).params if p.name == "guichet")


class Scoped(Command):
    """A command about one guichet, or every one: it takes ``--guichet ID`` after its name too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_guichet_option())


app = Typer(help="comite : guichet de financement et comité de sélection.", command_class=Scoped)
dossier_app = Typer(help="Dossiers : dépôt, événements, consultation.", command_class=Scoped)
session_app = Typer(help="Sessions du comité de sélection.", command_class=Scoped)
guichet_app = Typer(help="Les guichets de la base.", command_class=Scoped)
app.add_typer(dossier_app, name="dossier")
app.add_typer(session_app, name="session")
app.add_typer(guichet_app, name="guichet")

_settings = Settings()
STATES = tuple(state.value for state in DossierState)


def settings() -> Settings:
    """The settings of the command being run (rebuilt at each invocation)."""
    return _settings

Actor = Annotated[str | None, typer.Option("--actor", metavar="EMAIL",
                                           help="Qui agit (ou COMITE_ACTOR).")]
Json = Annotated[bool, typer.Option("--json", help="Un document JSON.")]


@app.callback()
def _global(
    db: Annotated[str | None, typer.Option("--db", metavar="URL",
                                           help="URL de la base (COMITE_DATABASE_URL).")] = None,
    now: Annotated[str | None, typer.Option("--now", metavar="DATE[THH:MM]", help=(
        "Horloge du moteur (COMITE_NOW) : 2021-05-04, 04/05/2021, avec ou sans heure."))] = None,
    guichet: Annotated[str | None, typer.Option("--guichet", metavar="ID",
                                                help=GUICHET_HELP)] = None,
) -> None:
    global _settings
    _settings = Settings(database_url=db, now=now, guichet=guichet)
    _settings.clock  # a wrong --now is bad input whatever the command  # noqa: B018


def choice(value: str | None, allowed: tuple[str, ...], field: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(f"valeur inconnue « {value} » ({', '.join(allowed)})", field=field)


def euros(amount: str) -> str:
    """An amount of a JSON document (``"36000.00"``) as people read it (``36 000,00 €``)."""
    from states.money import eur_fr, parse_eur

    return eur_fr(parse_eur(amount))


def emit(document: Any) -> None:
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def reading(fn: Callable[[Any], Any]) -> Any:
    from workflow.db import UnitOfWork

    with UnitOfWork(settings().engine, guichet=settings().guichet_id) as uow:
        return fn(uow.session)


def writing(fn: Callable[[Any], Any]) -> Any:
    from notifications.render import render
    from workflow.db import UnitOfWork

    with UnitOfWork(settings().engine, write=True, render=render,
                    guichet=settings().guichet_id, channel="cli") as uow:
        result = fn(uow)
        uow.commit()
        return result


@app.command()
def init(guichet_file: Annotated[Path, typer.Argument(
        metavar="GUICHET.toml", help="Le fichier du guichet.")]) -> None:
    """Crée ou met à jour le schéma et charge (ou met à jour) le guichet du fichier, et lui
    seul ; idempotent."""
    from workflow import guichet, loading
    from workflow.french import count_fr
    from workflow.migrate import upgrade

    config, text = guichet.read(guichet_file)
    upgrade(settings().engine)
    now = settings().instant()
    folder = str(guichet_file.resolve().parent)
    summary = writing(lambda uow: loading.load(uow, config, text, now=now, folder=folder))
    changes = summary["changes"]
    typer.echo(f"guichet « {summary['guichet']} » : "
               + (count_fr(len(changes), "changement") if changes else "déjà à jour"))
    for change in changes:
        typer.echo(f"  - {change}")


@guichet_app.command("list")
def guichet_list(as_json: Json = False) -> None:
    """Les guichets de la base : enveloppe et dossiers par état."""
    from states.lifecycle import STATE_LABELS
    from workflow import views

    rows = reading(views.guichet_list)
    if as_json:
        emit(rows)
        return
    for row in rows:
        states = ", ".join(f"{count} {STATE_LABELS[state]}" for state, count in
                           row["dossiers"].items() if count) or "aucun dossier"
        typer.echo(f"{row['id']} ({row['reference_prefix']}) {row['name']} : enveloppe "
                   f"{euros(row['envelope_eur'])} ; {states}")


@guichet_app.command("show")
def guichet_show(as_json: Json = False) -> None:
    """Le guichet tel que chargé : paramètres, départements, équipe, sessions."""
    from workflow import views

    document = reading(views.guichet)
    if as_json:
        emit(document)
        return
    from states.guards import ROLE_LABELS
    from states.sessions import SESSION_LABELS

    typer.echo(f"{document['name']} ({document['id']}) : enveloppe "
               f"{euros(document['envelope_eur'])}")
    for d in document["departments"]:
        typer.echo(f"  {d['code']} {d['name']} : {d['prefecture_contact']['email']}")
    for person in document["staff"]:
        where = f" du {person['department']}" if person.get("department") else ""
        typer.echo(f"  {person['name']} <{person['email']}> : {ROLE_LABELS[person['role']]}{where}")
    for s in document["sessions"]:
        typer.echo(f"  session du {s['date']} : {SESSION_LABELS[s['state']]}")


@app.command()
def budget(as_json: Json = False) -> None:
    """Enveloppe, engagé, reste, par département et par mesure."""
    from workflow import views
    from workflow.french import count_fr

    document = reading(views.budget)
    if as_json:
        emit(document)
        return
    typer.echo(f"enveloppe {euros(document['envelope_eur'])} ; engagé "
               f"{euros(document['committed_eur'])} ; reste {euros(document['remaining_eur'])}")
    for measure, pool in document["separate_envelopes"].items():
        typer.echo(f"enveloppe distincte {measure} : {euros(pool['envelope_eur'])} ; reste "
                   f"{euros(pool['remaining_eur'])}")
    for code, bucket in document["by_department"].items():
        typer.echo(f"  {code} : {euros(bucket['committed_eur'])} ({count_fr(bucket['count'], 'dossier')})")


@app.command(cls=Command)
def diagram() -> None:
    """Le cycle de vie d'un dossier en diagramme Mermaid."""
    from states.machine import mermaid

    typer.echo(mermaid())


@dossier_app.command("submit")
def dossier_submit(file: Annotated[Path, typer.Argument(metavar="FICHIER.json")],
                   actor: Actor = None) -> None:
    """Dépose un dossier ; affiche sa référence."""
    from workflow import dossiers
    from workflow.forms import read_json

    data = read_json(file)
    now = settings().instant()
    dossier = writing(lambda uow: dossiers.submit(uow, data=data, file=str(file),
                                                  actor=settings().actor(actor), now=now))
    typer.echo(dossier.reference)


@dossier_app.command("revoke-links")
def dossier_revoke_links(reference: Annotated[str, typer.Argument(metavar="REF")],
                         actor: Actor = None,
                         reason: Annotated[str | None, typer.Option(
                             "--reason", help="Pourquoi (gardé dans l'historique).")] = None,
                         ) -> None:
    """Révoque d'un coup tous les liens envoyés au porteur du dossier (coordinateurs) ; il peut
    en demander un nouveau, envoyé à son adresse."""
    from workflow import links

    now = settings().instant()
    dossier = writing(lambda uow: links.revoke(uow, reference, settings().actor(actor), now,
                                               reason))
    typer.echo(f"{dossier.reference} : les liens envoyés au porteur ne l'ouvrent plus")


@dossier_app.command("show")
def dossier_show(reference: Annotated[str, typer.Argument(metavar="REF")],
                 as_json: Json = False) -> None:
    """Le dossier, son état et tout son historique."""
    from workflow import views

    document = reading(lambda s: views.dossier(s, reference))
    if as_json:
        emit(document)
        return
    from states.lifecycle import STATE_LABELS

    def label(state: str | None) -> str:
        return STATE_LABELS[state] if state else "—"

    typer.echo(f"{document['reference']} [{label(document['state'])}] {document['title']}")
    for entry in document["history"]:
        typer.echo(f"  {entry['at']} {entry['event']} {label(entry['from'])} → {label(entry['to'])} "
                   f"({entry['actor']}){' : ' + entry['reason'] if entry['reason'] else ''}")
    typer.echo(f"  actions possibles : {', '.join(document['allowed_events']) or 'aucune'}")


@dossier_app.command("list")
def dossier_list(
    state: Annotated[str | None, typer.Option("--state", metavar="ÉTAT", help=(
        "État enregistré : " + ", ".join(STATES)))] = None,
    department: Annotated[str | None, typer.Option("--department", metavar="CODE",
                                                   help="Département (22, 29…).")] = None,
    session: Annotated[str | None, typer.Option("--session", metavar="DATE",
                                                help="Date de la session.")] = None,
    measure: Annotated[str | None, typer.Option("--measure", metavar="MESURE",
                                                help="Mesure (3a, 3b…).")] = None,
    text: Annotated[str | None, typer.Option("--text", metavar="TEXTE", help=(
        "Dans la référence, le nom du demandeur ou le titre."))] = None,
    as_json: Json = False,
) -> None:
    """Les dossiers, filtrés par état, département, session, mesure ou texte."""
    from workflow import views

    day = parse_day(session, "--session")
    rows = reading(lambda s: views.dossier_list(s, state=state, department=department,
                                                session_day=day, measure=measure, text=text))
    if as_json:
        emit(rows)
        return
    from states.lifecycle import STATE_LABELS

    for row in rows:
        typer.echo(f"{row['reference']}  {STATE_LABELS[row['state']]:<19} {row['department']}  "
                   f"{row['measure']}  {euros(row['requested_eur']):>14}  "
                   f"{row['applicant']['name']}")


@dossier_app.command("import")
def dossier_import(
    file: Annotated[Path, typer.Argument(metavar="FICHIER.csv|FICHIER.xlsx")],
    mapping: Annotated[Path | None, typer.Option("--mapping", metavar="FICHIER.toml",
                                                 help="Libellés du formulaire "
                                                 "(TOML, voir examples/ds-mapping.toml).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Tout vérifier, ne rien écrire.")]
    = False,
) -> None:
    """Dépose chaque ligne d'un export Démarches Simplifiées ; tout ou rien."""
    from workflow.ds_import import run
    from workflow.french import count_fr

    now = settings().instant()

    def progress(rows: list[Any]) -> Any:
        if len(rows) < 200 or not sys.stderr.isatty():
            return rows
        from rich.progress import track

        return track(rows, description="Import", console=None, transient=True)

    summary = writing(lambda uow: run(uow, path=file, mapping_file=mapping, now=now,
                                      dry_run=dry_run, progress=progress))
    if dry_run:
        typer.echo(f"{count_fr(summary['rows'], 'ligne valide', 'lignes valides')} ; "
                   f"{summary['to_import']} à importer, "
                   f"{count_fr(summary['already_imported'], 'déjà importée', 'déjà importées')} ; "
                   "rien n'a été écrit")
        return
    for ds_number, reference in summary["filed"]:
        typer.echo(f"{ds_number} → {reference}")
    typer.echo(f"{count_fr(len(summary['filed']), 'dossier importé', 'dossiers importés')}, "
               f"{count_fr(summary['already_imported'], 'déjà importé', 'déjà importés')}")


from command_line import (  # noqa: E402,F401  (they register their commands)
    demo,
    events,
    mail,
    reports,
    schedules,
    sessions,
    tokens,
    webhooks,
)

events.register(dossier_app, RULES)


@cache
def _command() -> Any:
    """The click command Typer builds from the app: built once per process, not per call (a
    process that runs many commands, such as a test or a script, would spend most of its time
    rebuilding it)."""
    return typer.main.get_command(app)


def _utf8_arguments(arguments: list[str], environ: Mapping[str, str]) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates: say which argument, or which of
    comite's environment variables (``COMITE_ACTOR``…), has them."""
    given = [(f"argument {n}", f"l'argument n°{n}", text)
             for n, text in enumerate(arguments, start=1)]
    given += [(name, f"la variable {name}", text) for name, text in sorted(environ.items())
              if name.startswith("COMITE_")]
    for field, what, text in given:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput(f"{what} n'est pas du texte UTF-8 valide (octet {exc.start})",
                               field=field) from None


# What a message may quote of what someone typed but a terminal must not receive as such: control
# characters (an ESC sequence clears the screen), and the marks that reorder a line's text.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                          "\u2066-\u2069]")


def _printable(text: str) -> str:
    """``text`` with each such character written as its escape (``\\x1b``, ``\\u202e``)."""
    return _UNPRINTABLE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"),
                            text)


def _usage(error: Any) -> None:
    """A usage error of Click or Typer, in French, on one line (or the help it stands for)."""
    from command_line.french import french

    text = _printable(french(error.format_message()))
    if type(error).__name__ == "NoArgsIsHelpError":  # the help itself
        typer.echo(text, err=True)
    else:
        command = getattr(getattr(error, "ctx", None), "command_path", "comite")
        typer.echo(f"comite : {text} (voir `{command} --help`)", err=True)


def main() -> None:
    """Entry point: no traceback ever reaches a user, one line on stderr and an exit code."""
    from workflow.errors import exit_code, message

    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show « é » or « → » gets escapes, not an error after a commit.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        _utf8_arguments(sys.argv[1:], os.environ)
        _command()(standalone_mode=False, prog_name="comite")
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except SystemExit as done:
        # The reader went away (`… | head`): Click exits 1, but what was done stays done and a
        # non-zero exit must mean nothing was written.
        if isinstance(done.__context__, BrokenPipeError):
            sys.exit(0)
        raise
    except typer.Abort:
        sys.exit(130)
    except Exception as error:  # the one place where errors become exit codes
        if hasattr(error, "format_message") and hasattr(error, "exit_code"):  # usage errors
            _usage(error)
            sys.exit(2)
        typer.echo(f"comite : {_printable(message(error))}", err=True)
        sys.exit(exit_code(error))
