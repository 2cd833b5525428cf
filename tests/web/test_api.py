"""The HTTP API through the real app: personal tokens, the command line's documents, ETag and
If-Match, the same refusals and messages as the command line, on both engines."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest
from starlette.testclient import TestClient

from tests.helpers import COORDINATOR, INSTRUCTOR, MEMBER, at, form, siren
from tests.web.test_owner import Clock, _digest
from web.app import WebSettings, create_app


@pytest.fixture
def api(engine, desk):
    clock = Clock(at("2021-05-10 10:00"))
    client = TestClient(create_app(WebSettings(engine, clock=clock)))

    def token(email: str, **options) -> dict[str, str]:
        from workflow import tokens

        _, secret = desk._write(lambda uow: tokens.create(uow, email=email, name="essai",
                                                          now=clock(), **options))
        return {"Authorization": f"Bearer {secret}"}

    return client, desk, clock, token


def test_without_a_valid_token_nothing_is_answered(api):
    client, desk, clock, token = api
    for headers in ({}, {"Authorization": "Bearer comite_inconnu"}, {"Authorization": "Basic x"}):
        answer = client.get("/api/v1/guichets", headers=headers)
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
        assert "jeton" in answer.json()["erreur"]
    revoked = token(COORDINATOR)
    from workflow import tokens

    desk._write(lambda uow: tokens.revoke(uow, token_id=1, email=COORDINATOR, now=clock()))
    assert client.get("/api/v1/guichets", headers=revoked).status_code == 401
    soon = token(COORDINATOR, expires_on=date(2021, 5, 12))
    assert client.get("/api/v1/guichets", headers=soon).status_code == 200
    clock.now = at("2021-05-12 00:01")
    assert client.get("/api/v1/guichets", headers=soon).status_code == 401


def test_a_read_checks_its_token_and_answers_in_one_transaction_given_back_after(api, engine):
    from sqlalchemy import event

    client, desk, clock, token = api
    reference = desk.submit()
    headers = token(COORDINATOR)
    assert client.get(f"/api/v1/dossiers/{reference}", headers=headers).status_code == 200
    begun: list[object] = []

    def count(connection) -> None:
        begun.append(connection)

    event.listen(engine, "begin", count)
    try:  # the token's last use was written a moment ago: nothing to write this time
        assert client.get(f"/api/v1/dossiers/{reference}", headers=headers).status_code == 200
        assert client.get("/api/v1/guichets/bretagne-2021/sessions",
                          headers=headers).status_code == 200
    finally:
        event.remove(engine, "begin", count)
    assert len(begun) == 2 and engine.pool.checkedout() == 0


def test_a_dossier_reads_as_the_command_line_prints_it_with_its_version_as_etag(api):
    client, desk, clock, token = api
    reference = desk.submit()
    answer = client.get(f"/api/v1/dossiers/{reference}", headers=token(COORDINATOR))
    assert answer.status_code == 200 and answer.json() == desk.show(reference)
    assert answer.headers["ETag"] == '"1"'
    # another territory, someone of no team: as if it did not exist
    assert client.get(f"/api/v1/dossiers/{reference}",
                      headers=token(INSTRUCTOR["22"])).status_code == 404
    assert client.get("/api/v1/dossiers/BZH-2099-0001",
                      headers=token(COORDINATOR)).status_code == 404


def test_the_list_pages_with_a_cursor_and_holds_an_instructor_to_their_departement(api):
    client, desk, clock, token = api
    for number, department in enumerate(("29", "29", "22", "29")):
        desk.submit(form(applicant={"department": department, "siren": siren(29_200_000 + number)},
                         title=f"Projet {number}"))
    headers = token(COORDINATOR)
    first = client.get("/api/v1/guichets/bretagne-2021/dossiers?limite=2", headers=headers).json()
    assert [d["reference"] for d in first["dossiers"]] == ["BZH-2021-0001", "BZH-2021-0002"]
    rest = client.get(f"/api/v1/guichets/bretagne-2021/dossiers?limite=2&apres={first['suivant']}",
                      headers=headers).json()
    assert [d["reference"] for d in rest["dossiers"]] == ["BZH-2021-0003", "BZH-2021-0004"]
    mine = client.get("/api/v1/guichets/bretagne-2021/dossiers",
                      headers=token(INSTRUCTOR["22"])).json()
    assert [d["department"] for d in mine["dossiers"]] == ["22"]
    bad = client.get("/api/v1/guichets/bretagne-2021/dossiers?limite=0", headers=headers)
    assert bad.status_code == 422 and bad.json()["champ"] == "limite"
    assert client.get("/api/v1/guichets/cantal-2021/dossiers", headers=headers).status_code == 404


def test_an_event_applies_on_the_version_read_and_says_why_when_it_cannot(api):
    client, desk, clock, token = api
    reference = desk.submit()
    url = f"/api/v1/dossiers/{reference}/events"
    instructor = token(INSTRUCTOR["29"])
    done = client.post(f"{url}/start_instruction", headers={**instructor, "If-Match": '"1"'})
    assert done.status_code == 200 and done.json()["state"] == "instruction"
    assert done.headers["ETag"] == '"2"'
    before = _digest(desk)
    stale = client.post(f"{url}/withdraw", json={"reason": "Doublon"},
                        headers={**instructor, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["version"] == 2 and _digest(desk) == before
    refused = client.post(f"{url}/accept", json={"amount": "1000", "reason": "Oui"},
                          headers={**token(MEMBER), "If-Match": '"2"'})
    assert refused.status_code == 409 and _digest(desk) == before
    assert refused.json()["raisons"] and "schedule" not in refused.json()["possibles"]
    wrong = client.post(f"{url}/schedule", json={"session": "le 22 juin"},
                        headers={**instructor, "If-Match": '"2"'})
    assert wrong.status_code == 422 and wrong.json()["champ"] == "session"
    assert _digest(desk) == before
    done = client.post(f"{url}/schedule", json={"session": "2021-06-22"},
                       headers={**instructor, "If-Match": '"2"'})
    assert done.status_code == 200 and done.json()["session"] == "2021-06-22"
    with desk.engine.connect() as connection:
        from sqlalchemy import text

        assert connection.execute(text("SELECT channel FROM audit WHERE event = 'schedule'")
                                  ).scalar_one() == "api"
    before = _digest(desk)
    for reason in ("Doublon\u0000", "Doublon\u202e"):  # NUL: no PostgreSQL text holds one
        hostile = client.post(f"{url}/withdraw", json={"reason": reason}, headers=instructor)
        assert hostile.status_code == 422 and hostile.json()["champ"] == "reason"
        assert "reason : caractère" in hostile.json()["erreur"]
    typo = client.post(f"{url}/withdraw", json={"motif": "Doublon"}, headers=instructor)
    assert typo.status_code == 422 and typo.json()["champ"] == "motif"
    assert "champs possibles : reason" in typo.json()["erreur"]
    extra = client.post(f"{url}/withdraw", json={"reason": "Doublon", "amount": "1"},
                        headers=instructor)
    assert extra.status_code == 422 and extra.json()["champ"] == "amount"
    missing = client.post(f"{url}/schedule", json={}, headers=instructor)
    assert missing.status_code == 422 and missing.json()["champ"] == "session"  # the body's name
    assert _digest(desk) == before
    other = token(INSTRUCTOR["22"])
    assert client.post(f"{url}/withdraw", json={"reason": "x"}, headers=other).status_code == 404
    assert client.post(f"{url}/nope", headers=instructor).status_code == 404


def test_what_an_event_needs_is_named_as_the_body_names_it_not_as_an_option(api):
    client, desk, clock, token = api
    reference = desk.submit()
    url = f"/api/v1/dossiers/{reference}/events"
    instructor = token(INSTRUCTOR["29"])
    assert client.post(f"{url}/start_instruction", headers=instructor).status_code == 200
    before = _digest(desk)
    unmotivated = client.post(f"{url}/withdraw", json={}, headers=instructor)
    assert unmotivated.status_code == 409 and _digest(desk) == before
    assert unmotivated.json()["raisons"] == [
        "le motif du retrait est obligatoire (champ « reason »)"]
    stale = client.post(f"{url}/withdraw", json={"reason": "Doublon"},
                        headers={**instructor, "If-Match": '"1"'})
    assert stale.status_code == 412 and "relire le dossier et recommencer" in stale.json()["erreur"]
    for answer in (unmotivated, stale):
        assert "--" not in answer.text and "comite " not in answer.text, answer.text


def test_a_dossier_is_filed_with_the_json_of_dossier_submit(api):
    client, desk, clock, token = api
    headers = token(INSTRUCTOR["29"])
    before = _digest(desk)
    wrong = client.post("/api/v1/guichets/bretagne-2021/dossiers",
                        json=form(applicant={"siren": "123456789"}), headers=headers)
    assert wrong.status_code == 422 and wrong.json()["champ"] == "applicant.siren"
    assert "clé de contrôle" in wrong.json()["erreur"] and _digest(desk) == before
    made = client.post("/api/v1/guichets/bretagne-2021/dossiers", json=form(), headers=headers)
    assert made.status_code == 201 and made.headers["Location"] == "/api/v1/dossiers/BZH-2021-0001"
    assert made.json()["state"] == "submitted"


def test_two_clients_racing_on_one_version_one_wins_the_other_is_told(api):
    client, desk, clock, token = api
    reference = desk.submit()
    headers = {**token(INSTRUCTOR["29"]), "If-Match": '"1"'}
    start, answers = threading.Barrier(2), []

    def race() -> None:
        mine = TestClient(client.app)
        start.wait()
        answers.append(mine.post(f"/api/v1/dossiers/{reference}/events/start_instruction",
                                 headers=headers).status_code)

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 412]
    assert [h["event"] for h in desk.show(reference)["history"]] == ["submit",
                                                                     "start_instruction"]


def test_the_guichets_figures_and_sessions_read_as_the_command_line_gives_them(api):
    client, desk, clock, token = api
    desk.scheduled()
    headers = token(COORDINATOR)
    assert [g["id"] for g in client.get("/api/v1/guichets", headers=headers).json()] == [
        "bretagne-2021"]
    assert client.get("/api/v1/guichets/bretagne-2021/budget",
                      headers=headers).json() == desk.budget()
    from workflow import views

    assert client.get("/api/v1/guichets/bretagne-2021", headers=headers).json() == desk._read(
        views.guichet)
    sessions = client.get("/api/v1/guichets/bretagne-2021/sessions", headers=headers).json()
    assert sessions[0]["date"] == "2021-06-22" and sessions[0]["agenda_size"] == 1
    shown = client.get("/api/v1/guichets/bretagne-2021/sessions/2021-06-22", headers=headers)
    assert shown.json() == desk.session_show("2021-06-22")
    assert client.get("/api/v1/guichets/bretagne-2021/sessions/2021-06-22",
                      headers=token(INSTRUCTOR["22"])).json()["agenda"] == []
    assert client.get("/api/v1/guichets/bretagne-2021/outbox", headers=headers).status_code == 200
    from reports.stats import compute

    assert client.get("/api/v1/guichets/bretagne-2021/stats",
                      headers=headers).json() == desk._read(compute)


def test_the_api_describes_itself_in_openapi(api):
    client, desk, clock, token = api
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1") and schema["info"]["title"] == "API de comite"
    assert "/dossiers/{reference}/events/{event}" in schema["paths"]
    assert "If-Match" in str(schema["paths"]["/dossiers/{reference}/events/{event}"])


def test_tokens_are_made_listed_and_revoked_on_the_command_line(cli):
    made = cli("token", "create", "--name", "Tableur", actor=COORDINATOR, now="2021-05-10")
    assert made.code == 0 and made.out.startswith("comite_") and "gardez-le" in made.err
    listed = cli.ok("token", "list", "--json", actor=COORDINATOR)
    assert '"name": "Tableur"' in listed and made.out.strip() not in listed
    refused = cli("token", "revoke", "1", actor=INSTRUCTOR["29"])
    assert refused.code == 1 and "seule la personne du jeton" in refused.err
    assert "révoqué" in cli.ok("token", "revoke", "1", actor=COORDINATOR)
    nobody = cli("token", "create", "--name", "x", actor="personne@example.org")
    assert nobody.code == 2 and "aucun guichet" in nobody.err
    past = cli("token", "create", "--name", "x", "--expires", "2021-05-01", actor=COORDINATOR,
               now="2021-05-10")
    assert past.code == 2 and "--expires" in past.err


def test_a_tokens_last_use_is_kept(api):
    client, desk, clock, token = api
    headers = token(COORDINATOR)
    client.get("/api/v1/guichets", headers=headers)
    from workflow import tokens

    listed = desk._read(lambda s: tokens.listing(s, COORDINATOR))
    assert listed[0]["last_used_at"] == "2021-05-10T10:00:00+02:00"
    clock.now += timedelta(seconds=30)
    client.get("/api/v1/guichets", headers=headers)  # within the minute: not written again
    assert desk._read(lambda s: tokens.listing(s, COORDINATOR))[0]["last_used_at"] == \
        "2021-05-10T10:00:00+02:00"


def test_staff_make_and_revoke_their_tokens_on_a_page_the_secret_shown_once(engine, desk):
    import re

    from tests.web.test_owner import _csrf
    from tests.web.test_pages import login
    from workflow import tokens

    clock = Clock(at("2021-05-10 10:00"))
    client = TestClient(create_app(WebSettings(engine, clock=clock, demo_login=True)))
    assert client.get("/jetons").status_code == 401
    login(client, COORDINATOR)
    page = client.get("/jetons")
    assert "Aucun pour l'instant" in page.text
    made = client.post("/jetons", data={**_csrf(page.text), "name": "Tableur DDT"})
    assert made.headers["Cache-Control"] == "no-store"
    secret = re.search(r"<code>(comite_[\w-]+)</code>", made.text).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/guichets", headers=headers).status_code == 200
    again = client.get("/jetons").text
    assert "Tableur DDT" in again and secret not in again  # never shown again
    empty = client.post("/jetons", data={**_csrf(again), "name": " "})
    assert empty.status_code == 422 and 'id="name-erreur"' in empty.text
    before = _digest(desk), desk._read(lambda s: len(tokens.listing(s, COORDINATOR)))
    for name in ("Tableur\x00DDT", "\x00"):  # SQLite would keep it, PostgreSQL would not
        nul = client.post("/jetons", data={**_csrf(again), "name": name})
        assert nul.status_code == 422 and "« name » : caractère NUL (0x00)" in nul.text
    assert (_digest(desk), desk._read(lambda s: len(tokens.listing(s, COORDINATOR)))) == before
    done = client.post("/jetons/1/revoquer", data=_csrf(again), follow_redirects=True)
    assert "est révoqué" in done.text
    assert client.get("/api/v1/guichets", headers=headers).status_code == 401
    assert client.post(f"/jetons/{2**63}/revoquer", data=_csrf(again)).status_code == 404
    login(client, INSTRUCTOR["29"])  # someone else's token: not theirs to revoke
    assert client.post("/jetons/1/revoquer", data=_csrf(client.get("/jetons").text)
                       ).status_code == 409


def test_the_documentation_page_is_written_from_the_schema(api):
    client, desk, clock, token = api
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "API de comite" in page.text
    for path in client.get("/api/v1/openapi.json").json()["paths"]:
        assert f"/api/v1{path}" in page.text
    # the schema's Markdown shown as a reader reads it: code as code, no stray backtick
    assert "<code>If-Match</code>" in page.text and "`" not in page.text
    # each answer with what it means, once
    assert "<code>412</code> : le dossier a changé depuis la version lue" in page.text
    assert "comme dit plus haut" not in page.text
    # the path's parameters say what they are, once each
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in schema["paths"].items():
        for operation in methods.values():
            named = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert sorted(named) == sorted(set(named)) and len(named) == path.count("{")
            assert all(p.get("description") for p in operation.get("parameters", [])
                       if p["in"] == "path"), (path, operation["parameters"])
    assert "la référence du dossier (BZH-2021-0001)" in page.text


def test_a_body_past_the_sites_bound_is_refused_in_french_and_unread(api):
    client, desk, clock, token = api
    before = _digest(desk)
    huge = b'{"x": "' + b"a" * 2_100_000 + b'"}'
    answer = client.post("/api/v1/guichets/bretagne-2021/dossiers", content=huge,
                         headers={**token(COORDINATOR), "Content-Type": "application/json"})
    assert answer.status_code == 413 and "trop volumineux" in answer.json()["erreur"]
    page = client.post("/lien", content=huge,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and "trop volumineux" in page.text
    assert "X-Request-Id" in page.headers and _digest(desk) == before


@pytest.mark.parametrize(("body", "said", "field"), [
    (b'{"reason": "x"', "JSON invalide ligne 1, colonne 15 : « , » attendu ici", None),
    (b'{"reason": NaN}', "NaN n'est pas un nombre JSON", None),
    (b'{"reason": "\\ud800 seul"}', "reason : texte invalide : une moitié de paire UTF-16", "reason"),
    (b'{"reason": "\xff"}', "le corps n'est pas en UTF-8 (octet 12 : 0xff)", None),
])
def test_an_event_body_that_is_not_json_says_where_in_french_and_writes_nothing(
        api, body, said, field):
    client, desk, clock, token = api
    reference = desk.submit()
    before = _digest(desk)
    answer = client.post(f"/api/v1/dossiers/{reference}/events/withdraw", content=body,
                         headers={**token(INSTRUCTOR["29"]), "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert said in answer.json()["erreur"] and answer.json()["champ"] == field
    assert _digest(desk) == before


def test_a_form_with_half_a_character_is_refused_on_its_field_and_amounts_are_read_exactly(api):
    client, desk, clock, token = api
    headers = {**token(INSTRUCTOR["29"]), "Content-Type": "application/json"}
    before = _digest(desk)
    for field, changes in (("applicant.siren", {"applicant": {"siren": "\ud800"}}),
                           ("title", {"title": "Projet \udfff"}),
                           ("members[0]", {"members": ["\ud800"]})):
        sent = json.dumps(form(**changes)).encode()  # ASCII: the half is written \ud800
        answer = client.post("/api/v1/guichets/bretagne-2021/dossiers", content=sent,
                             headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["champ"] == field and "moitié de paire" in answer.json()["erreur"]
    assert _digest(desk) == before
    reference = desk.scheduled()
    desk.held("2021-06-22")
    clock.now = at("2021-06-22 10:00")
    # 15000.005 € as a float would be 15000.004999…; read as written, it has a third decimal
    answer = client.post(f"/api/v1/dossiers/{reference}/events/accept",
                         content=b'{"amount": 15000.005, "reason": "Projet retenu"}',
                         headers={**token(COORDINATOR), "Content-Type": "application/json"})
    assert answer.status_code == 422 and "« 15000.005 »" in answer.json()["erreur"]
    done = client.post(f"/api/v1/dossiers/{reference}/events/accept",
                       content=b'{"amount": 15000.50, "reason": "Projet retenu"}',
                       headers={**token(COORDINATOR), "Content-Type": "application/json"})
    assert done.status_code == 200, done.text
    assert done.json()["awarded_eur"] == "15000.50"
