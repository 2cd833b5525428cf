"""Filing online on the guichet's public page: the rules of `dossier submit`, the window of its
``[filing]`` settings, a honeypot, a bound on the body and on dossiers per address an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.helpers import at, form, siren
from tests.web.test_owner import Clock, _csrf, _digest, _text
from web.app import WebSettings, create_app

URL = "/g/bretagne-2021/deposer"


@pytest.fixture
def public(engine, desk):
    clock = Clock(at("2021-05-03 10:00"))
    return TestClient(create_app(WebSettings(engine, clock=clock))), desk, clock


def fields(**changes: str) -> dict[str, str]:
    """The application form as a person types it on the page."""
    data = form()
    typed = {f"applicant.{k}": str(v) for k, v in data["applicant"].items()}
    typed |= {f"contact.{k}": str(v) for k, v in data["contact"].items()}
    typed |= {k: str(data[k]) for k in ("measure", "title", "presentation", "stage",
                                         "total_cost_eur", "requested_eur", "end_date",
                                         "signatory", "signed_on")}
    typed["commitment"] = "true"
    return typed | changes


def _post(client: TestClient, **changes: str):
    page = client.get(URL)
    return client.post(URL, data={**_csrf(page.text), **fields(**changes)})


def test_a_dossier_filed_online_gets_a_receipt_and_an_email_with_its_link(public):
    client, desk, clock = public
    done = _post(client)
    assert done.status_code == 200 and "Votre dossier est déposé" in _text(done.text)
    reference = "BZH-2021-0001"
    assert reference in done.text
    shown = desk.show(reference)
    assert shown["state"] == "submitted" and shown["history"][0]["actor"] == shown["owner"]
    receipt = [m for m in desk.outbox() if m.reference == reference][-1]
    assert "Accusé de réception" in receipt.subject and "/lien/" in receipt.text
    with desk.engine.connect() as connection:
        from sqlalchemy import text

        assert connection.execute(text("SELECT channel FROM audit WHERE event = 'submit'")
                                  ).scalar_one() == "web"


def test_a_wrong_field_is_said_on_it_with_what_was_typed_kept_and_nothing_written(public):
    client, desk, clock = public
    before = _digest(desk)
    wrong = _post(client, **{"applicant.siren": "123456789", "title": "Mon projet <b>"})
    assert wrong.status_code == 422 and _digest(desk) == before
    assert 'id="applicant-siren-erreur"' in wrong.text and "clé de contrôle" in wrong.text
    assert 'value="Mon projet &lt;b&gt;"' in wrong.text


def test_the_refused_project_rule_holds_online_as_on_the_command_line(public):
    client, desk, clock = public
    data = form(applicant={"siren": siren(29_000_777)}, title="Projet refusé")
    reference = desk.scheduled(data)
    desk.held()
    desk.fire("refuse", reference, actor="coordination.sgar@example.org", now="2021-06-22 10:00",
              reason="Hors programme")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    clock.now = at("2021-06-25 10:00")
    before = _digest(desk)
    again = _post(client, **{"applicant.siren": data["applicant"]["siren"],
                             "title": "Projet refusé"})
    assert again.status_code == 409 and "ne peut pas être redéposé" in _text(again.text)
    assert _digest(desk) == before


def test_filing_is_open_only_within_the_guichets_dates(public):
    client, desk, clock = public
    clock.now = at("2022-01-16 10:00")
    page = client.get(URL)
    assert "il est fermé aujourd'hui" in _text(page.text) and "Déposer le dossier" not in page.text
    before = _digest(desk)
    late = client.post(URL, data={**_csrf(client.get("/lien").text), **fields()})
    assert late.status_code == 409 and _digest(desk) == before


def test_robots_are_kept_out_by_a_hidden_field_a_body_bound_and_a_rate_per_address(public):
    client, desk, clock = public
    before = _digest(desk)
    robot = _post(client, site_web="http://spam.example.org")
    assert robot.status_code == 400 and _digest(desk) == before
    huge = client.post(URL, data={**_csrf(client.get(URL).text), **fields(
        presentation="x" * 70_000)})
    assert huge.status_code == 413 and "trop volumineux" in _text(huge.text)
    assert _digest(desk) == before
    for number in range(5):
        assert _post(client, **{"applicant.siren": siren(29_100_000 + number),
                                "title": f"Projet {number}"}).status_code == 200
    sixth = _post(client, **{"applicant.siren": siren(29_100_010), "title": "Projet 6"})
    assert sixth.status_code == 409 and "réessayer plus tard" in _text(sixth.text)
    clock.now += timedelta(hours=1, minutes=1)
    assert _post(client, **{"applicant.siren": siren(29_100_011),
                            "title": "Projet 7"}).status_code == 200


def test_a_post_without_its_csrf_token_files_nothing(public):
    client, desk, clock = public
    client.get(URL)
    before = _digest(desk)
    assert client.post(URL, data=fields()).status_code == 403 and _digest(desk) == before


def test_the_audit_says_how_each_action_came(cli, tmp_path):
    """The command line's actions say `cli`; the site's say `web` (above)."""
    import json

    from sqlalchemy import create_engine, text

    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(), ensure_ascii=False), encoding="utf-8")
    reference = cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00")
    cli.ok("dossier", "start_instruction", reference, now="2021-05-04T10:00",
           actor="instructeur.29@example.org")
    url = cli.db if isinstance(cli.db, str) else f"sqlite:///{cli.db}"
    engine = create_engine(url)
    with engine.connect() as connection:
        channels = connection.execute(text(
            "SELECT DISTINCT channel FROM audit WHERE dossier_id IS NOT NULL")).scalars().all()
    engine.dispose()
    assert channels == ["cli"]
