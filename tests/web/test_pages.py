"""The staff pages, through the app as a browser would reach it (Starlette's test client)."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR, INSTRUCTOR, ROOT
from web.app import WebSettings, create_app

DSFR = ROOT / "web" / "static" / "dsfr"


@pytest.fixture
def site(db_url, capsys, monkeypatch, tmp_path):
    """Both campaigns replayed in one base, and the web app on it with the demo's login."""
    from workflow.db import engine_for

    campaigns.unset_environment(monkeypatch)
    cli = Cli(db_url, capsys, monkeypatch)
    campaigns.replayed(cli, tmp_path)
    app = create_app(WebSettings(engine_for(db_url), demo_login=True))
    return TestClient(app), cli


def _token(client: TestClient, url: str = "/connexion") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(url).text)
    assert found is not None
    return found.group(1)


def section(page: str, title: str, following: str) -> str:
    """The text of a page between the heading ``title`` and the next one, ``following``."""
    return page.split(title)[1].split(following)[0]


def login(client: TestClient, email: str) -> None:
    answer = client.post("/connexion", data={"csrf": _token(client), "email": email},
                         follow_redirects=False)
    assert answer.status_code == 303


def _text(html: str) -> str:
    """The page's text as a person reads it: no tags, entities decoded, spaces collapsed."""
    from html import unescape

    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).replace("\u202f", " ")


def test_without_a_session_the_pages_send_to_the_login(site):
    client, _ = site
    assert client.get("/", follow_redirects=False).headers["location"] == "/connexion"
    answer = client.get("/g/bretagne-2021/")
    assert answer.status_code == 401 and "Connectez-vous" in answer.text


def test_a_coordinator_sees_the_dashboard_list_and_dossier_of_their_guichet(site):
    client, _ = site
    login(client, COORDINATOR)
    assert client.get("/", follow_redirects=False).headers["location"] == "/g/bretagne-2021/"
    board = _text(client.get("/g/bretagne-2021/").text)
    assert "1 188 000,00 €" in board and "30 000,00 €" in board  # envelope, committed
    assert "accepté" in board or "en suivi" in board
    listing = client.get("/g/bretagne-2021/dossiers")
    assert listing.status_code == 200
    assert all(f"BZH-2021-000{n}" in listing.text for n in (1, 2, 3))
    unknown = client.get("/g/bretagne-2021/dossiers", params={"state": "perdu"})
    assert unknown.status_code == 422 and "Valeur inconnue « perdu »" in unknown.text
    refused = client.get("/g/bretagne-2021/dossiers", params={"state": "refused"}).text
    assert "BZH-2021-0003" in refused and "BZH-2021-0001" not in refused
    page = _text(client.get("/g/bretagne-2021/dossiers/BZH-2021-0001").text)
    assert "30 000,00 €" in page and "Exemplaire" in page and COORDINATOR in page


def test_an_instructor_lands_on_their_departement_and_gets_a_404_elsewhere(site):
    client, _ = site
    login(client, INSTRUCTOR["22"])
    listing = client.get("/g/bretagne-2021/dossiers").text
    assert "BZH-2021-0001" in listing and "BZH-2021-0002" not in listing
    # the département filter offers their own, chosen, not « Tous » over a list that is not all
    offered = re.search(r'<select class="fr-select" id="department".*?</select>', listing, re.S)
    assert offered is not None
    assert re.findall(r'<option value="([^"]*)"', offered.group(0)) == ["22"]
    assert client.get("/g/bretagne-2021/dossiers/BZH-2021-0001").status_code == 200
    other = client.get("/g/bretagne-2021/dossiers/BZH-2021-0002")  # a dossier of the 29
    assert other.status_code == 404 and "BZH-2021-0002" not in _text(other.text).split(
        "Numéro")[0].replace("/g/bretagne-2021/dossiers/BZH-2021-0002", "")
    assert client.get("/g/bretagne-2021/dossiers",
                      params={"department": "29"}).text.count("BZH-2021-") == 0


def test_a_person_sees_only_the_guichets_where_they_hold_a_role(site):
    client, _ = site
    login(client, campaigns.CANTAL_COORDINATOR)
    assert client.get("/", follow_redirects=False).headers["location"] == "/g/cantal-2021/"
    for url in ("/g/bretagne-2021/", "/g/bretagne-2021/dossiers",
                "/g/bretagne-2021/dossiers/BZH-2021-0001",
                "/g/cantal-2021/dossiers/BZH-2021-0001", "/g/inconnu/"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "Bretagne" not in answer.text and "BZH-2021-0001 " not in _text(answer.text)
    stranger = TestClient(client.app)
    login(stranger, "personne@example.org")
    answer = stranger.get("/")
    assert answer.status_code == 403 and "ne fait partie de l'équipe" in answer.text


def test_a_post_without_its_csrf_token_is_refused_and_does_nothing(site):
    client, _ = site
    answer = client.post("/connexion", data={"email": COORDINATOR}, follow_redirects=False)
    assert answer.status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/connexion"
    login(client, COORDINATOR)
    assert client.post("/deconnexion", data={"csrf": "faux"}).status_code == 403
    assert client.get("/g/bretagne-2021/").status_code == 200  # still logged in
    client.post("/deconnexion", data={"csrf": _token(client, "/g/bretagne-2021/")})
    assert client.get("/g/bretagne-2021/").status_code == 401


def test_every_answer_carries_the_security_headers_and_a_safe_cookie(site):
    client, _ = site
    answer = client.get("/connexion")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["referrer-policy"] == "same-origin"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
    assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text)  # no inline script
    for page in (answer, client.get("/nulle-part")):  # a page, an error page: one id each
        assert len(page.headers.get_list("x-request-id")) == 1
        assert len(page.headers.get_list("content-security-policy")) == 1


def test_the_site_matches_a_request_against_one_flat_table_of_routes(site):
    """Each area's routes are the app's own, in their order (the minutes before the command a
    session's page would otherwise take them for); a router that needs combining is refused."""
    from fastapi import APIRouter
    from fastapi.routing import APIRoute

    from web.app import include_flat

    client, _ = site
    paths = [route.path for route in client.app.router.routes if isinstance(route, APIRoute)]
    assert {"/g/{guichet}/dossiers/{reference}", "/g/{guichet}/sessions/{day}"} <= set(paths)
    assert all(isinstance(route, APIRoute) or type(route).__name__ == "Mount"
               for route in client.app.router.routes)
    assert paths.index("/g/{guichet}/sessions/{day}/proces-verbal.{kind}") < paths.index(
        "/g/{guichet}/sessions/{day}/{command}")
    login(client, COORDINATOR)
    assert client.get("/g/bretagne-2021/dossiers.csv").headers[
        "content-type"].startswith("text/csv")
    with pytest.raises(ValueError, match="include_router"):
        include_flat(client.app, APIRouter(prefix="/ailleurs"))


def test_an_error_shows_a_french_page_with_its_request_id_and_no_traceback(site, monkeypatch,
                                                                          caplog):
    from workflow import views

    client, _ = site
    login(client, COORDINATOR)

    def broken(*args, **kwargs):
        raise RuntimeError("secret interne")

    monkeypatch.setattr(views, "budget", broken)
    answer = TestClient(client.app, raise_server_exceptions=False,
                        cookies=client.cookies).get("/g/bretagne-2021/")
    assert answer.status_code == 500
    request_id = answer.headers["x-request-id"]
    assert request_id in answer.text and "Erreur du service" in answer.text
    assert "Traceback" not in answer.text and "secret interne" not in answer.text
    assert request_id in caplog.text


def test_every_request_gives_its_read_back_to_the_pool_whatever_it_answered(site, monkeypatch):
    from workflow import views

    client, _ = site
    login(client, COORDINATOR)
    pool = client.app.state.settings.engine.pool
    assert client.get("/g/bretagne-2021/dossiers/BZH-2021-0001").status_code == 200
    assert client.get("/g/bretagne-2021/dossiers/BZH-2021-9999").status_code == 404
    assert client.get("/api/v1/guichets/bretagne-2021").status_code == 401
    monkeypatch.setattr(views, "budget", lambda *args, **kwargs: 1 / 0)
    failing = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies)
    assert failing.get("/g/bretagne-2021/").status_code == 500
    assert pool.checkedout() == 0


def test_a_dossier_read_for_a_page_reads_as_an_events_read_and_cannot_be_changed(site, db_url):
    from workflow import context
    from workflow.db import UnitOfWork, engine_for

    with UnitOfWork(engine_for(db_url), guichet="bretagne-2021") as uow:
        loaded, dossier, actor = context.readable(uow.session, "BZH-2021-0001", COORDINATOR)
        _, tracked, same = context.for_event(uow.session, "BZH-2021-0001", COORDINATOR)
        assert actor == same and loaded.id == "bretagne-2021" and loaded.config.guichet.name
        assert {name: getattr(dossier, name) for name in type(tracked).model_fields} == \
            tracked.model_dump()
        with pytest.raises(AttributeError):
            dossier.state = "accepted"  # type: ignore[misc]
        with pytest.raises(context.NotFound):
            context.readable(uow.session, "BZH-2021-0001", "inconnu@example.org")


def test_the_demo_login_exists_only_in_the_demo(site):
    client, _ = site
    from web.app import WebSettings

    settings = client.app.state.settings
    closed = TestClient(create_app(WebSettings(settings.engine)))
    answer = closed.get("/connexion")  # neither the demo nor ProConnect: said so, no list
    assert answer.status_code == 503 and "COMITE_PROCONNECT_URL" in answer.text
    assert COORDINATOR not in answer.text
    token = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert closed.post("/connexion", data={"email": COORDINATOR, "csrf": token.group(1) if token
                                           else ""}).status_code in (403, 404)
    assert closed.get("/", follow_redirects=False).headers["location"] == "/connexion"


def test_the_vendored_dsfr_is_served_with_its_version_licence_and_terms():
    version = dict(line.split(" ", 1) for line in (DSFR / "VERSION").read_text().splitlines())
    assert version["version"].startswith("1.15.") and version["sha512"].startswith("sha512-")
    assert (DSFR / "LICENSE.md").read_text(encoding="utf-8").count("LICENCE OUVERTE 2.0")
    assert "Conditions" in (DSFR / "cgu.md").read_text(encoding="utf-8") or (DSFR / "cgu.md").stat(
        ).st_size > 1000
    css = (DSFR / "dsfr.min.css").read_text(encoding="utf-8")
    named = set(re.findall(r"url\(([a-z][^)]*)\)", css))
    assert named and all((DSFR / name).is_file() for name in named)  # every font and icon
    client = TestClient(create_app(WebSettings(engine=None)))  # type: ignore[arg-type]
    assert client.get("/static/dsfr/dsfr.min.css").status_code == 200


def test_a_login_lasts_twelve_hours_however_active_it_is(site):
    from datetime import timedelta

    from workflow.clock import SystemClock

    client, _ = site
    now = [SystemClock().now()]
    client.app.state.settings.clock = lambda: now[0]
    login(client, COORDINATOR)
    for _ in range(3):  # busy all day: every request renews the cookie, not the login
        now[0] += timedelta(hours=4)
        assert client.get("/g/bretagne-2021/").status_code == 200
    now[0] += timedelta(minutes=1)
    assert client.get("/g/bretagne-2021/").status_code == 401


def test_the_list_filters_by_text_and_measure_and_downloads_as_formula_safe_csv(site, tmp_path):
    import csv
    import io
    import json

    from tests.helpers import form

    client, cli = site
    hostile = tmp_path / "h.json"
    hostile.write_text(json.dumps(form(applicant={"name": "=HYPERLINK(\"x\")"},
                                       title="Projet 100%_test"), ensure_ascii=False),
                       encoding="utf-8")
    cli.ok("dossier", "submit", str(hostile), "--guichet", "bretagne-2021",
           now="2021-10-20T10:00")
    login(client, COORDINATOR)
    found = client.get("/g/bretagne-2021/dossiers", params={"text": "breton 2"}).text
    assert "BZH-2021-0002" in found and "BZH-2021-0001" not in found
    assert "BZH-2021-0004" in client.get("/g/bretagne-2021/dossiers",
                                         params={"text": "100%_"}).text
    assert "BZH-2021-0004" not in client.get("/g/bretagne-2021/dossiers",
                                             params={"text": "1000"}).text  # % is a letter
    assert "BZH-2021-0003" in client.get("/g/bretagne-2021/dossiers",
                                         params={"measure": "3b"}).text
    answer = client.get("/g/bretagne-2021/dossiers.csv", params={"measure": "3c"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Référence" and {r[3] for r in rows[1:]} == {"3c"}
    [row] = [r for r in rows if r[0] == "BZH-2021-0004"]
    assert row[4] == "'=HYPERLINK(\"x\")"  # never a live formula
    assert [r[6] for r in rows if r[0] == "BZH-2021-0001"] == ["30000,00"]
    stranger = TestClient(client.app)
    login(stranger, INSTRUCTOR["22"])
    only = stranger.get("/g/bretagne-2021/dossiers.csv").content.decode("utf-8-sig")
    assert "BZH-2021-0001" in only and "BZH-2021-0002" not in only


def test_the_dashboard_shows_the_weeks_work_and_the_messages_in_trouble(site, db_url):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import text

    from workflow.db import engine_for

    client, _ = site
    with engine_for(db_url).begin() as connection:
        connection.execute(text(
            "UPDATE outbox SET status = 'dead', attempts = 3, last_error = '550 boîte inconnue' "
            "WHERE id = (SELECT MIN(id) FROM outbox WHERE guichet_id = 'bretagne-2021')"))
    client.app.state.settings.clock = lambda: datetime(2022, 1, 5, 9, tzinfo=ZoneInfo(
        "Europe/Paris"))
    login(client, COORDINATOR)
    board = _text(client.get("/g/bretagne-2021/").text)
    week = section(board, "Cette semaine", "Courriels en difficulté")
    assert "rappel de rapport trimestriel" in week and "BZH-2021-0001" in week
    assert "4e trimestre 2021" in week and "2021-Q4" not in week
    trouble = section(board, "Courriels en difficulté", "Dossiers par état")
    assert "550 boîte inconnue" in trouble and "abandonné" in trouble
    cantal = TestClient(client.app)
    cantal.app.state.settings.clock = client.app.state.settings.clock
    login(cantal, campaigns.CANTAL_COORDINATOR)
    assert "550 boîte inconnue" not in cantal.get("/g/cantal-2021/").text


def test_the_outbox_page_lists_the_guichets_messages_and_a_coordinator_requeues_a_dead_one(
        site, db_url):
    from sqlalchemy import text

    from workflow.db import engine_for

    client, cli = site
    engine = engine_for(db_url)
    with engine.begin() as connection:
        dead = connection.execute(text(
            "SELECT MIN(id) FROM outbox WHERE guichet_id = 'bretagne-2021'")).scalar_one()
        connection.execute(text("UPDATE outbox SET status = 'dead', last_error = '550 inconnu' "
                                "WHERE id = :id"), {"id": dead})
    member_ = TestClient(client.app)
    login(member_, "membre.dinum@example.org")
    listed = member_.get("/g/bretagne-2021/courriels", params={"status": "dead"}).text
    assert "550 inconnu" in listed and "Relancer" not in listed
    token = _token(member_, "/g/bretagne-2021/courriels")
    refused = member_.post(f"/g/bretagne-2021/courriels/{dead}/relancer", data={"csrf": token})
    assert refused.status_code == 409 and "coordinateur" in refused.text
    login(client, COORDINATOR)
    token = _token(client, "/g/bretagne-2021/courriels")
    assert client.post(f"/g/bretagne-2021/courriels/{dead}/relancer",
                       data={}).status_code == 403  # no CSRF token: nothing done
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM outbox WHERE id = :id"),
                                  {"id": dead}).scalar_one() == "dead"
    done = client.post(f"/g/bretagne-2021/courriels/{dead}/relancer", data={"csrf": token})
    assert done.status_code == 200 and "à réessayer" in done.text
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM outbox WHERE id = :id"),
                                  {"id": dead}).scalar_one() == "retrying"
    cantal = TestClient(client.app)
    login(cantal, campaigns.CANTAL_COORDINATOR)
    token = _token(cantal, "/g/cantal-2021/courriels")
    assert cantal.post(f"/g/cantal-2021/courriels/{dead}/relancer",
                       data={"csrf": token}).status_code == 404  # another guichet's message
    for number in (2**63, -2**63 - 1):  # no key column holds them: no such message either
        assert cantal.post(f"/g/cantal-2021/courriels/{number}/relancer",
                           data={"csrf": token}).status_code == 404
    assert "Bretagne" not in cantal.get("/g/cantal-2021/courriels").text
    settings = client.get("/g/bretagne-2021/guichet")
    assert settings.status_code == 200 and "Finistère" in settings.text
    assert COORDINATOR in settings.text
    assert "Part finançable du coût 100,0 %" in _text(settings.text)  # not « 1.00 »


def test_the_list_filters_by_session_sorts_and_pages_in_the_database(site, monkeypatch):
    from web import pages

    client, _ = site
    login(client, COORDINATOR)
    june = client.get("/g/bretagne-2021/dossiers", params={"session": "2021-06-22"}).text
    assert all(f"BZH-2021-000{n}" in june for n in (1, 2, 3))
    assert "CAN-" not in june
    ordered = client.get("/g/bretagne-2021/dossiers", params={"sort": "department",
                                                               "order": "desc"}).text
    assert ordered.index("BZH-2021-0003") < ordered.index("BZH-2021-0002") < ordered.index(
        "BZH-2021-0001")  # 35, 29, 22
    wrong = client.get("/g/bretagne-2021/dossiers", params={"sort": "couleur"})
    assert wrong.status_code == 422 and "Tri inconnu « couleur »" in wrong.text
    monkeypatch.setattr(pages, "PER_PAGE", 2)
    first = client.get("/g/bretagne-2021/dossiers", params={"sort": "reference"}).text
    assert "3 dossiers, page 1 sur 2" in _text(first) and "BZH-2021-0003" not in first
    assert "sort=reference&amp;order=asc&amp;page_number=2" in first  # keeps the order
    second = client.get("/g/bretagne-2021/dossiers", params={"sort": "reference",
                                                              "page_number": 2}).text
    assert "BZH-2021-0003\"" in second and "BZH-2021-0001\"" not in second


def test_what_people_typed_is_shown_as_text_never_as_markup(site, tmp_path):
    import json

    from tests.helpers import form

    client, cli = site
    hostile = tmp_path / "x.json"
    typed = "<script>alert(1)</script> & <b>gras</b>"
    hostile.write_text(json.dumps(form(title=typed, applicant={"name": typed}),
                                  ensure_ascii=False), encoding="utf-8")
    cli.ok("dossier", "submit", str(hostile), "--guichet", "bretagne-2021",
           now="2021-10-20T10:00")
    login(client, COORDINATOR)
    for url in ("/g/bretagne-2021/dossiers", "/g/bretagne-2021/dossiers/BZH-2021-0004"):
        page = client.get(url).text
        assert "<script>alert(1)</script>" not in page and "<b>gras</b>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;gras&lt;/b&gt;" in page, url


def test_the_dashboard_shows_the_envelope_by_measure_and_the_next_sessions_with_their_closing(
        site):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    client, _ = site
    client.app.state.settings.clock = lambda: datetime(2021, 9, 1, 9, tzinfo=ZoneInfo(
        "Europe/Paris"))
    login(client, COORDINATOR)
    board = _text(client.get("/g/bretagne-2021/").text)
    by_measure = section(board, "Engagé par mesure", "Cette semaine")
    assert "3c 1 30 000,00 €" in by_measure
    coming = board.split("Prochaines sessions du comité")[1]
    assert "14 septembre 2021 prévue 0 7 septembre 2021" in coming
    assert "22 juin 2021" not in coming  # held and closed: not to come


def test_the_reports_page_gives_the_monthly_list_and_the_statistics_with_charts(site, tmp_path):
    import io

    from openpyxl import load_workbook

    client, cli = site
    login(client, COORDINATOR)
    page = client.get("/g/bretagne-2021/rapports", params={"month": "2021-10"})
    shown = _text(page.text)
    assert "1 lauréat à fin octobre 2021" in shown and "BZH-2021-0001" in shown
    assert "Lauréats et montants par département" in shown and "33,3 %" in shown  # 1 of 3
    csv = client.get("/g/bretagne-2021/rapports/laureats-2021-10.csv")
    cli.ok("report", "monthly", "--month", "2021-10", "--guichet", "bretagne-2021",
           "--output", str(tmp_path / "m.csv"))
    assert csv.content == (tmp_path / "m.csv").read_bytes()  # the same file
    xlsx = client.get("/g/bretagne-2021/rapports/laureats-2021-10.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [row for row in sheet.iter_rows(values_only=True) if row[0] == "BZH-2021-0001"]
    chart = client.get("/g/bretagne-2021/rapports/graphique-by_department.svg")
    assert chart.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in chart.content  # its text stays text:
    assert "Montants accordés par département".encode() in chart.content
    assert "script-src" not in chart.headers["content-security-policy"]  # nothing in it runs
    assert len(chart.headers.get_list("content-security-policy")) == 1  # its own, not added to
    assert client.get("/g/bretagne-2021/rapports/graphique-couleur.svg").status_code == 404
    wrong = client.get("/g/bretagne-2021/rapports", params={"month": "2021-13"})
    assert wrong.status_code == 422 and "n'est pas un mois" in _text(wrong.text)
    cantal = TestClient(client.app)
    login(cantal, campaigns.CANTAL_COORDINATOR)
    assert cantal.get("/g/bretagne-2021/rapports").status_code == 404
    assert cantal.get("/g/bretagne-2021/rapports/laureats-2021-10.csv").status_code == 404


def test_an_instructors_dashboard_shows_only_their_departements_work_and_trouble(site, db_url):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import text

    from workflow.db import engine_for

    client, _ = site
    with engine_for(db_url).begin() as connection:
        connection.execute(text(
            "UPDATE outbox SET status = 'dead', last_error = '550 boîte inconnue' "
            "WHERE reference IN ('BZH-2021-0001', 'BZH-2021-0002')"))
    clock = lambda: datetime(2022, 1, 5, 9, tzinfo=ZoneInfo("Europe/Paris"))  # noqa: E731
    client.app.state.settings.clock = clock
    login(client, INSTRUCTOR["29"])
    board = _text(client.get("/g/bretagne-2021/").text)
    trouble = section(board, "Courriels en difficulté", "Dossiers par état")
    assert "BZH-2021-0002" in trouble and "BZH-2021-0001" not in trouble
    week = section(board, "Cette semaine", "Courriels en difficulté")
    assert "BZH-2021-0001" not in week  # the 22's report reminder is not the 29's business
    other = TestClient(client.app)
    other.app.state.settings.clock = clock
    login(other, INSTRUCTOR["22"])
    assert "BZH-2021-0001" in section(_text(other.get("/g/bretagne-2021/").text),
                                      "Cette semaine", "Courriels en difficulté")
