"""`comite demo`: a ready Bretagne guichet on a throwaway SQLite base, a local SMTP server, and a
short scripted campaign whose every email lands as an .eml file a newcomer can open.

Every command's start imports this module (it registers `demo`): what only the demo needs
(asyncio, sockets, temporary folders: a fifth of a command's own start) is imported when it runs.
"""

import json
import os
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from command_line.french import Command
from command_line.main import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COORDINATOR = "coordination.sgar@example.org"


class EmlFolder:
    """An aiosmtpd handler that writes each message it accepts into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        recipient = envelope.rcpt_tos[0].replace("@", "_at_")
        (self.folder / f"{self.count:03d}-{recipient}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Paris"))


def _campaign(engine: Any) -> list[str]:
    """Three dossiers through the June 2021 session: accord, à revoir, refus; a session moved."""
    from notifications.render import render
    from workflow import dossiers, events, guichet, loading, sessions
    from workflow.db import UnitOfWork
    from workflow.dossiers import Request
    from workflow.migrate import upgrade

    def write(fn: Any) -> Any:
        with UnitOfWork(engine, write=True, render=render) as uow:
            result = fn(uow)
            uow.commit()
            return result

    upgrade(engine)
    config, text = guichet.read(EXAMPLES / "bretagne-2021.toml")
    write(lambda uow: loading.load(uow, config, text, now=_at("2021-05-01T09:00"),
                                   folder=str(EXAMPLES)))
    references = []
    for name in ("kerbras-3c", "lanvallon-3a", "blavet-3b"):
        data = json.loads((EXAMPLES / "dossiers" / f"{name}.json").read_text(encoding="utf-8"))
        instructor = f"instructeur.{data['applicant']['department']}@example.org"
        reference = write(lambda uow, data=data: dossiers.submit(
            uow, data=data, file=None, actor=None, now=_at("2021-05-12T10:00"))).reference
        for event, when, extra in (("start_instruction", "2021-05-17T09:00", {}),
                                   ("schedule", "2021-05-18T09:00",
                                    {"session_day": date(2021, 6, 22)})):
            request = Request(reference, instructor, _at(when))
            write(lambda uow, e=event, r=request, x=extra: getattr(events, e)(uow, r, **x))
        references.append(reference)
    write(lambda uow: sessions.convene(uow, day=date(2021, 6, 22), actor=COORDINATOR,
                                       now=_at("2021-06-15T09:00")))
    write(lambda uow: sessions.open_session(uow, day=date(2021, 6, 22), actor=COORDINATOR,
                                            now=_at("2021-06-22T09:30")))
    decisions: list[tuple[str, str, dict[str, Any]]] = [
        ("accept", "Projet exemplaire : parcours co-construits avec les habitants.",
         {"amount": 3_600_000}),
        ("request_revision", "Préciser le calendrier et associer les agents.", {}),
        ("refuse", "Formation limitée à un seul outil métier.", {}),
    ]
    for reference, (event, reason, extra) in zip(references, decisions, strict=True):
        request = Request(reference, COORDINATOR, _at("2021-06-22T10:30"), reason=reason)
        write(lambda uow, e=event, r=request, x=extra: getattr(events, e)(uow, r, **x))
    write(lambda uow: sessions.close(uow, day=date(2021, 6, 22), actor=COORDINATOR,
                                     now=_at("2021-06-22T12:00")))
    write(lambda uow: sessions.move(uow, day=date(2021, 9, 14), new_day=date(2021, 9, 21),
                                    actor=COORDINATOR, now=_at("2021-06-25T09:00")))
    return references


@app.command(cls=Command)  # a base of its own
def demo(folder: Annotated[Path | None, typer.Option(
        "--folder", metavar="DOSSIER",
        help="Où écrire la base et les courriels (par défaut un dossier temporaire).")]
         = None,
         replay_only: Annotated[bool, typer.Option(
             "--replay-only", help="Rejouer la campagne et s'arrêter, sans ouvrir le site.")]
         = False,
         port: Annotated[int | None, typer.Option(
             "--port", metavar="PORT", min=0, max=65535,
             help="Port du site (COMITE_WEB_PORT ; 8000 par défaut).")] = None,
         ) -> None:
    """Démonstration : guichet Bretagne, serveur SMTP local, courriels écrits en .eml, puis le
    site sur sa base (Ctrl-C pour arrêter)."""
    import asyncio
    import socket
    import tempfile

    from aiosmtpd.controller import Controller

    from notifications.smtp import Delivery, SmtpMailer, SmtpSettings
    from workflow.db import engine_for
    from workflow.records import Outbox  # noqa: F401  (tables registered before create)

    # The site's address is settled first: the owners' links the campaign mails open on it.
    site_port = None if replay_only else _site_port(port)
    if site_port is not None:
        os.environ.setdefault("COMITE_PUBLIC_URL", f"http://127.0.0.1:{site_port}")
    where = folder or Path(tempfile.mkdtemp(prefix="comite-demo-"))
    mails = where / "courriels"
    mails.mkdir(parents=True, exist_ok=True)
    database = where / "demo.db"
    database.unlink(missing_ok=True)
    engine = engine_for(f"sqlite:///{database}")
    references = _campaign(engine)

    handler = EmlFolder(mails)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        smtp = SmtpSettings(host="127.0.0.1", port=smtp_port,
                            mail_from="Guichet numérique Bretagne <guichet.bretagne@example.org>")
        delivery = Delivery(engine, lambda: SmtpMailer(smtp), smtp.mail_from,
                            lambda: _at("2021-06-25T10:00"), connections=4)
        totals: Counter[str] = asyncio.run(delivery.run())
    finally:
        controller.stop()

    typer.echo("Campagne Bretagne 2021 rejouée (mai-juin 2021) :")
    typer.echo(f"  dossiers déposés : {', '.join(references)}")
    typer.echo("  comité du 22 juin 2021 : accord (36 000 €), à revoir, refus ; "
               "session du 14 septembre déplacée au 21")
    typer.echo(f"Courriels remis au serveur SMTP local (127.0.0.1:{smtp_port}) : {totals['sent']} ; "
               f"{handler.count} fichiers .eml dans {mails}")
    typer.echo(f"Base de démonstration : {database}")
    # the command as it was typed (.venv/bin/comite): the hints work without activating the venv
    command = sys.argv[0] if Path(sys.argv[0]).name == "comite" else "comite"
    typer.echo(f"  {command} --db {database} dossier show {references[0]}")
    typer.echo(f"  {command} --db {database} outbox list")
    if site_port is not None:
        _site(engine, site_port)


def _site_port(port: int | None) -> int:
    """The demo site's port: the option, else COMITE_WEB_PORT, else 8000; for 0, a free port
    found now (the links mailed during the replay must name it)."""
    import socket

    from command_line.schedules import web_address

    chosen = web_address("127.0.0.1", port)[1]
    if chosen:
        return chosen
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _site(engine: Any, port: int) -> None:
    """The web app on the demo base, with the demo's login page, until Ctrl-C or SIGTERM."""
    import asyncio
    import signal

    from command_line.schedules import web_server
    from workflow.clock import SystemClock

    # The site's days go on from the campaign's last one: its links open, its filing is open.
    real = SystemClock()
    began, resumed = real.now(), _at("2021-06-25T10:00")
    server = web_server("127.0.0.1", port, engine=engine, demo_login=True,
                        clock=lambda: resumed + (real.now() - began))
    typer.echo(f"Site de démonstration : http://127.0.0.1:{port}/ (Ctrl-C pour arrêter) ; se "
               "connecter comme l'une des personnes fictives de l'équipe, par exemple "
               f"{COORDINATOR} (coordination régionale), instructeur.29@example.org "
               "(instruction du Finistère) ou membre.dinum@example.org (membre du comité)")
    typer.echo(f"  dépôt en ligne : http://127.0.0.1:{port}/g/bretagne-2021/deposer ; chaque "
               "courriel à un porteur (.eml) porte le lien vers son dossier, sur "
               f"{os.environ['COMITE_PUBLIC_URL']}")
    typer.echo("  le site reprend au 25 juin 2021, jour où s'arrête la campagne")
    sys.stdout.flush()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
        await server.serve()

    asyncio.run(run())
