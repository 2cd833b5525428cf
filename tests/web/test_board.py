"""The session board: convene, open, decide the whole agenda in one form (all or nothing), close,
and the minutes; each command after a confirmation."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR, INSTRUCTOR
from tests.web.test_pages import _text, login
from web.app import WebSettings, create_app

PARIS = ZoneInfo("Europe/Paris")
BOARD = f"/g/bretagne-2021/sessions/{campaigns.JUNE}"


@pytest.fixture
def june(db_url, capsys, monkeypatch, tmp_path):
    from workflow.db import engine_for

    campaigns.unset_environment(monkeypatch)
    cli = Cli(db_url, capsys, monkeypatch)
    references = campaigns.june_agenda(cli, tmp_path)
    engine = engine_for(db_url)
    client = TestClient(create_app(WebSettings(engine, demo_login=True)))
    login(client, COORDINATOR)
    return client, cli, engine, references


def at(client: TestClient, *when: int) -> None:
    client.app.state.settings.clock = lambda: datetime(*when, tzinfo=PARIS)


def _token(client: TestClient, url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)


def command(client: TestClient, name: str, **fields: str):
    confirm = client.get(f"{BOARD}/{name}")
    assert confirm.status_code == 200 and "Confirmer" in confirm.text
    return client.post(f"{BOARD}/{name}", data={"csrf": _token(client, f"{BOARD}/{name}"),
                                               **fields})


def sitting(client: TestClient) -> None:
    """The June session convened a week ahead, then opened on its day."""
    at(client, 2021, 6, 14, 10)
    command(client, "convene")
    at(client, 2021, 6, 22, 9)
    command(client, "open")


def _decisions(client: TestClient, lines: dict[str, dict[str, str]]):
    page = client.get(BOARD).text
    data = dict(re.findall(r'type="hidden" name="(csrf|version-[\w-]+)" value="([^"]*)"', page))
    for reference, fields in lines.items():
        data.update({f"{name}-{reference}": value for name, value in fields.items()})
    return client.post(f"{BOARD}/decisions", data=data)


def _statuses(engine, references) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT reference, state FROM dossier ORDER BY reference")).all()
    return {ref: state for ref, state in rows if ref in references}


def test_a_coordinator_runs_the_june_session_from_the_board(june):
    client, cli, engine, refs = june
    a, b, c, d, e = refs
    at(client, 2021, 6, 14, 10)
    assert "Convoquer" in client.get(BOARD).text
    done = command(client, "convene")
    assert done.status_code == 200 and "convoquée" in _text(done.text)
    at(client, 2021, 6, 22, 9)
    command(client, "open")
    html = client.get(BOARD).text
    page = _text(html)
    assert "Enregistrer les décisions" in page and "1 188 000,00 €" in page
    # a deferral offers the planned sessions after June's, as the defer event judges them
    offered = set(re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', html))
    assert offered == {"2021-09-14", "2021-10-19", "2022-02-08"}
    assert "Projet de juin 5" in page and "département 56" in page
    before = cli.digest()
    lines = {a: {"decision": "accept", "amount": "30000", "reason": "Exemplaire"},
             b: {"decision": "request_revision", "reason": "Associer les usagers"},
             c: {"decision": "refuse", "reason": "Achat de matériel"},
             d: {"decision": "defer", "session": "2021-09-14", "reason": "Pièces à venir"},
             e: {"decision": "accept", "amount": "90000", "reason": "Très bien"}}
    refused = _decisions(client, lines)
    assert refused.status_code == 409
    shown = _text(refused.text)
    assert "Aucune décision enregistrée" in shown
    line = shown.split(f"5. {e}")[1]
    assert "dépasse le montant demandé" in line  # the reasons, on their own line
    assert f"déjà lauréat à titre individuel du dossier {a}" in line
    # in the board's words: no event code, option or list of what the command line may do
    assert "(accept)" not in line and "--" not in line and "possibles maintenant" not in line
    assert 'value="90000"' in refused.text and "Associer les usagers" in refused.text  # kept
    assert cli.digest() == before  # nothing applied
    lines[e] = {"decision": "refuse", "reason": f"Déjà lauréat avec le dossier {a}"}
    decided = _decisions(client, lines)
    assert decided.status_code == 200 and "5 décisions enregistrées" in _text(decided.text)
    # each line says what was decided, not what to do
    board = _text(decided.text)
    assert "Décision : financement accordé , 30 000,00 €" in board  # (the tag leaves a space)
    assert "Décision : reporté à une session ultérieure" in board
    assert "Décision : non retenu" in board and "Décision : renvoyé à revoir" in board
    assert "Décision : accorder" not in board and "Décision : refuser" not in board
    assert _statuses(engine, refs) == {a: "accepted", b: "to_be_revised", c: "refused",
                                       d: "committee", e: "refused"}
    with engine.connect() as connection:
        held = connection.execute(text(
            "SELECT COUNT(*) FROM outbox WHERE status = 'held'")).scalar_one()
    assert held == 4  # the decision emails wait for the close
    at(client, 2021, 6, 22, 12)
    closed = command(client, "close")
    assert "Procès-verbal" in closed.text
    with engine.connect() as connection:
        assert connection.execute(text(
            "SELECT COUNT(*) FROM outbox WHERE status = 'held'")).scalar_one() == 0
    pdf = client.get(f"{BOARD}/proces-verbal.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    html = client.get(f"{BOARD}/proces-verbal.html")
    assert "Exemplaire" in html.text and "unsafe-inline" in html.headers[
        "content-security-policy"]


def test_a_command_refused_by_the_rules_says_why_on_its_confirmation_and_changes_nothing(june):
    client, cli, engine, refs = june
    at(client, 2021, 6, 14, 10)
    command(client, "convene")
    before = cli.digest()
    early = command(client, "open")  # a week early
    assert early.status_code == 409 and "ne peut s'ouvrir qu'à sa date" in _text(early.text)
    typo = command(client, "move", new_day="31/02/2021")  # said on the confirmation, kept
    assert typo.status_code == 422 and "n'est pas une date" in _text(typo.text)
    assert 'value="31/02/2021"' in typo.text
    moved = command(client, "move", new_day="2021-06-01")
    assert moved.status_code == 422 and "doit être dans le futur" in _text(moved.text)
    assert cli.digest() == before
    done = command(client, "move", new_day="2021-06-29")
    assert done.status_code == 200
    with engine.connect() as connection:  # five dossiers of one owner: a message for each
        assert connection.execute(text("SELECT COUNT(*) FROM outbox WHERE kind = "
                                       "'session_moved'")).scalar_one() == 5
    assert "déplacée du 22 juin 2021" in _text(client.get(
        "/g/bretagne-2021/sessions/2021-06-29").text)


def test_only_a_coordinator_decides_and_commands_a_session(june):
    client, cli, _, refs = june
    sitting(client)
    instructor = TestClient(client.app)
    login(instructor, INSTRUCTOR["22"])
    page = instructor.get(BOARD).text
    assert "Enregistrer les décisions" not in page and "Convoquer" not in page
    before = cli.digest()
    token = _token(instructor, BOARD)
    answer = instructor.post(f"{BOARD}/decisions", data={
        "csrf": token, f"decision-{refs[0]}": "refuse", f"reason-{refs[0]}": "Non"})
    assert answer.status_code == 409 and "ne peut pas décider" in _text(answer.text)
    assert instructor.post(f"{BOARD}/close", data={"csrf": token}).status_code == 409
    assert client.post(f"{BOARD}/decisions", data={
        f"decision-{refs[0]}": "refuse", f"reason-{refs[0]}": "Non"}).status_code == 403
    assert cli.digest() == before


def test_an_instructor_sees_only_their_departements_lines_messages_and_work(june):
    client, cli, engine, refs = june
    sitting(client)
    lines = {ref: {"decision": "refuse", "reason": "Non"} for ref in refs}
    assert _decisions(client, lines).status_code == 200
    at(client, 2021, 6, 22, 12)
    command(client, "close")
    instructor = TestClient(client.app)
    login(instructor, INSTRUCTOR["29"])
    board = _text(instructor.get(BOARD).text)
    assert refs[1] in board and refs[0] not in board and refs[2] not in board  # 29 only
    assert "Procès-verbal" not in board
    assert instructor.get(f"{BOARD}/proces-verbal.pdf").status_code == 404
    mail = instructor.get("/g/bretagne-2021/courriels").text
    assert f"[{refs[1]}]" in mail and f"[{refs[0]}]" not in mail
    assert "Convocation" not in mail  # the members' messages are the coordinators' business
    coordinator_mail = client.get("/g/bretagne-2021/courriels").text
    assert f"[{refs[0]}]" in coordinator_mail and "Convocation" in coordinator_mail


def test_a_session_with_no_agenda_yet_shows_what_the_guichets_envelope_has_left(june):
    client, _, _, _ = june
    page = _text(client.get("/g/bretagne-2021/sessions/2021-10-19").text)
    left = page.split("Enveloppe restante")[1].split("Ordre du jour")[0]
    assert "Enveloppe du guichet : 1 188 000,00 €" in left
    assert "Aucun dossier à l'ordre du jour" in page
