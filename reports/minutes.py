"""`comite session minutes`: the procès-verbal, HTML or PDF (WeasyPrint), from what was frozen at
the close of the session and still matches its seal."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from states.money import eur_fr, parse_eur
from workflow import context
from workflow.errors import InvalidInput, Refused
from workflow.minutes import content, seal
from workflow.records import Minutes

LABELS = {"accept": "accord", "request_revision": "à revoir", "refuse": "refus",
          "defer": "reporté", "withdraw": "retiré", None: "à décider", "undecided": "à décider"}


@cache
def _environment() -> Environment:
    from workflow.french import date_fr

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html.j2",)),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["date_fr"] = date_fr
    env.filters["euros"] = lambda text: eur_fr(parse_eur(text))
    return env


def load(session: Session, day: date) -> tuple[dict[str, Any], str | None]:
    """The frozen minutes and their seal, or a draft (seal None) while the session is open."""
    loaded = context.guichet(session)
    committee = context.session_on(session, loaded, day, field="DATE")
    frozen = session.get(Minutes, committee.id)
    if frozen is None:
        return content(session, loaded, committee), None
    if seal(frozen.content) != frozen.sha256:
        raise Refused(f"le procès-verbal du {day:%d/%m/%Y} ne correspond plus à son empreinte "
                      "de clôture : il a été modifié en base, il ne sera pas imprimé")
    return frozen.content, frozen.sha256


def html(document: dict[str, Any], sha256: str | None) -> str:
    template = _environment().get_template("minutes.html.j2")
    return template.render({"closed_at": "", **document}, draft=sha256 is None,
                           sha256=sha256 or "", labels=LABELS)


def write(session: Session, day: date, output: Path) -> bool:
    """Write the minutes; True when they are the frozen ones, False for a draft."""
    suffix = output.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise InvalidInput("extension attendue : .html ou .pdf", field="--output")
    from reports.output import written

    document, sha256 = load(session, day)
    page = html(document, sha256)
    with written(output) as path:
        if suffix == ".html":
            path.write_text(page, encoding="utf-8")
        else:
            from weasyprint import HTML

            HTML(string=page).write_pdf(path)
    return sha256 is not None
