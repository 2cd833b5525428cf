"""Owners on the web: the link in every email opens their dossier's page; from it they withdraw,
send a quarterly report, rework a dossier sent back; a bad link opens nothing and writes
nothing."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from tests.helpers import COORDINATOR, INSTRUCTOR, at, form, siren
from web.app import WebSettings, create_app


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def owner_site(engine, desk):
    clock = Clock(at("2021-05-04 10:00"))
    client = TestClient(create_app(WebSettings(engine, clock=clock)))
    return client, desk, clock


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def last_link(desk, reference: str) -> str:
    """The link of the newest email about ``reference``, as its owner reads it."""
    messages = [m for m in desk.outbox() if m.reference == reference]
    found = re.search(r"http://127\.0\.0\.1:8000(/lien/\S+)", messages[-1].text)
    assert found is not None, messages[-1].text
    assert found.group(0) in messages[-1].html
    return found.group(1)


def _csrf(html: str) -> dict[str, str]:
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', html))


def _digest(desk) -> tuple:
    with desk.engine.connect() as connection:
        from sqlalchemy import text

        return tuple(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                     for table in ("audit", "outbox", "report", "dossier"))


def test_every_email_to_an_owner_carries_a_link_that_opens_their_dossier(owner_site):
    client, desk, clock = owner_site
    reference = desk.submit()
    opened = client.get(last_link(desk, reference), follow_redirects=True)
    assert opened.status_code == 200
    page = _text(opened.text)
    assert f"Votre dossier {reference}" in page and "déposé" in page
    desk.fire("start_instruction", reference, actor=INSTRUCTOR["29"], now="2021-05-10 09:00")
    page = _text(client.get(f"/g/bretagne-2021/porteur/{reference}").text)
    assert "La préfecture instruit votre dossier" in page
    assert "instruction commencée" in page  # the history, in words


def test_the_committee_decision_shows_only_once_its_session_is_closed(owner_site):
    client, desk, clock = owner_site
    reference = desk.accepted()
    clock.now = at("2021-06-22 11:00")
    client.get(last_link(desk, reference))
    page = _text(client.get(f"/g/bretagne-2021/porteur/{reference}").text)
    assert "inscrit en comité" in page and "Projet exemplaire" not in page
    assert "financement accordé" not in page
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    page = _text(client.get(f"/g/bretagne-2021/porteur/{reference}").text)
    assert "financement accordé" in page and "Projet exemplaire" in page


def test_an_owner_withdraws_with_a_reason_after_a_confirmation(owner_site):
    client, desk, clock = owner_site
    reference = desk.submit()
    client.get(last_link(desk, reference))
    url = f"/g/bretagne-2021/porteur/{reference}/retrait"
    confirm = client.get(url)
    assert "Confirmer le retrait" in confirm.text
    before = _digest(desk)
    empty = client.post(url, data={**_csrf(confirm.text), "reason": ""})
    assert empty.status_code == 409 and _digest(desk) == before
    assert "Le motif du retrait est obligatoire" in _text(empty.text)
    assert "--reason" not in empty.text and "withdraw" not in _text(empty.text)
    long = client.post(url, data={**_csrf(confirm.text), "reason": "a" * 5001})
    assert long.status_code == 422 and _digest(desk) == before
    assert 'id="reason-erreur"' in long.text  # on the reason's own field
    assert "La motivation fait 5001 caractères" in _text(long.text)
    done = client.post(url, data={**_csrf(confirm.text), "reason": "Projet abandonné"},
                       follow_redirects=True)
    assert "Votre dossier est retiré" in _text(done.text)
    shown = desk.show(reference)
    assert shown["state"] == "withdrawn" and shown["history"][-1]["actor"] == shown["owner"]
    with desk.engine.connect() as connection:
        from sqlalchemy import text

        assert connection.execute(text(
            "SELECT channel FROM audit WHERE event = 'withdraw'")).scalar_one() == "web"
    # the same form again, after the withdrawal: refused, nothing written
    before = _digest(desk)
    again = client.post(url, data={**_csrf(confirm.text), "reason": "encore"})
    assert again.status_code == 409 and _digest(desk) == before
    assert "ne peut plus être retiré : il est retiré" in _text(again.text)


def test_a_quarterly_report_with_a_bad_siren_keeps_what_was_typed_and_writes_nothing(owner_site):
    client, desk, clock = owner_site
    reference = desk.in_follow_up()
    clock.now = at("2021-10-05 10:00")
    client.get(last_link(desk, reference))
    url = f"/g/bretagne-2021/porteur/{reference}/rapport"
    blank = client.get(url)
    assert '<option value="2021-Q3"' in blank.text and '<option value="2021-Q4"' in blank.text
    fields = {**_csrf(blank.text), "period": "2021-Q3", "progress": "Marché notifié.",
              "percent_done": "40", "end_date": "2022-06-30", "status": "on_track",
              "companies[0].name": "Société A", "companies[0].siren": siren(33_000_001),
              "companies[0].department": "29",
              "companies[1].name": "Société B", "companies[1].siren": "123456789",
              "companies[1].department": "35"}
    before = _digest(desk)
    wrong = client.post(url, data=fields)
    assert wrong.status_code == 422 and _digest(desk) == before
    assert re.search(r'id="companies-1-siren-erreur">[^<]*clé de contrôle', wrong.text)
    assert 'value="Société B"' in wrong.text and 'value="Marché notifié."' not in wrong.text
    assert "Marché notifié." in wrong.text  # the textarea keeps it
    fields["companies[1].siren"] = siren(35_000_002)
    done = client.post(url, data=fields, follow_redirects=True)
    assert "Votre rapport du 3e trimestre 2021 est envoyé" in _text(done.text)
    report = desk.show(reference)["reports"][0]
    assert report["period"] == "2021-Q3" and [c["name"] for c in report["companies"]] == [
        "Société A", "Société B"]
    assert any(m.subject.startswith(f"[{reference}]") and "rapport" in m.subject.lower()
               for m in desk.outbox()[-1:])
    assert '<option value="2021-Q3"' not in client.get(url).text  # no longer due


def test_an_owner_reworks_a_dossier_sent_back_and_resubmits_it(owner_site):
    client, desk, clock = owner_site
    reference = desk.scheduled()
    desk.held()
    desk.fire("request_revision", reference, actor=COORDINATOR, now="2021-06-22 10:00",
              reason="Préciser le calendrier")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    clock.now = at("2021-06-23 10:00")
    client.get(last_link(desk, reference))
    url = f"/g/bretagne-2021/porteur/{reference}/revision"
    page = client.get(url)
    assert "Préciser le calendrier" in page.text
    prefilled = dict(re.findall(r'name="([\w.\[\]]+)" value="([^"]*)"', page.text))
    prefilled.pop("add_row")
    assert prefilled["applicant.siren"] == desk.show(reference)["applicant"]["siren"]
    fields = {**prefilled, "title": "Portail revu", "presentation": "Un calendrier précis.",
              "commitment": "true", "measure": form()["measure"], "stage": form()["stage"],
              "applicant.kind": form()["applicant"]["kind"],
              "contact.address": form()["contact"]["address"]}
    too_much = client.post(url, data={**fields, "requested_eur": "999999999"})
    assert too_much.status_code == 422 and "dépasse le coût total" in too_much.text
    done = client.post(url, data=fields, follow_redirects=True)
    assert "Votre dossier révisé est déposé" in _text(done.text)
    shown = desk.show(reference)
    assert shown["state"] == "submitted" and shown["revision"] == 2
    assert shown["title"] == "Portail revu"


def _flip(token: str, index: int) -> str:
    raw = bytearray(token.encode())
    raw[index] = ord("A") if raw[index] != ord("A") else ord("B")
    return raw.decode()


def test_a_link_changed_at_any_byte_opens_nothing(owner_site):
    client, desk, clock = owner_site
    reference = desk.submit()
    token = last_link(desk, reference).removeprefix("/lien/")
    for index in range(len(token)):
        fresh = TestClient(client.app)
        answer = fresh.get(f"/lien/{_flip(token, index)}", follow_redirects=False)
        assert answer.status_code in (403, 404), index
        assert fresh.get(f"/g/bretagne-2021/porteur/{reference}").status_code == 403
    assert client.get(f"/lien/{token}", follow_redirects=False).status_code == 303


def test_expired_revoked_and_other_dossiers_links_open_nothing(owner_site):
    client, desk, clock = owner_site
    first = desk.submit()
    second = desk.submit(form(applicant={"siren": siren(29_000_222)}, title="Autre projet"))
    link = last_link(desk, first)
    client.get(link)
    # another dossier: this browser holds no link for it
    other = client.get(f"/g/bretagne-2021/porteur/{second}")
    assert other.status_code == 403 and "Recevoir un nouveau lien" in other.text
    # expired: 120 days after the email
    clock.now = at("2021-05-03 10:00") + timedelta(days=121)
    expired = TestClient(client.app).get(link)
    assert expired.status_code == 403 and "expiré" in expired.text
    assert client.get(f"/g/bretagne-2021/porteur/{first}").status_code == 403
    clock.now = at("2021-05-04 10:00")
    # revoked by a coordinator: every link of the dossier at once, even one already opened
    assert client.get(f"/g/bretagne-2021/porteur/{first}").status_code == 200
    from workflow import links

    desk._write(lambda uow: links.revoke(uow, first, COORDINATOR, at("2021-05-04 11:00")))
    revoked = client.get(f"/g/bretagne-2021/porteur/{first}")
    assert revoked.status_code == 403 and "révoqué" in revoked.text
    assert TestClient(client.app).get(link).status_code == 403
    with pytest.raises(Exception, match="coordinateur"):
        desk._write(lambda uow: links.revoke(uow, second, INSTRUCTOR["29"], at("2021-05-04")))


def test_a_new_link_is_answered_alike_for_any_address_and_sent_a_few_times_an_hour(owner_site):
    client, desk, clock = owner_site
    reference = desk.submit()
    owner = desk.show(reference)["owner"]
    answers = []
    for address in (owner, "personne@example.org"):
        page = client.get("/lien")
        answer = client.post("/lien", data={**_csrf(page.text), "email": address})
        answers.append((answer.status_code, _text(answer.text)))
    assert answers[0] == answers[1]
    sent = [m for m in desk.outbox() if m.subject.endswith("Votre lien vers votre dossier")]
    assert [m.recipient for m in sent] == [owner]
    for _ in range(5):
        page = client.get("/lien")
        client.post("/lien", data={**_csrf(page.text), "email": owner.upper()})
    sent = [m for m in desk.outbox() if m.subject.endswith("Votre lien vers votre dossier")]
    assert len(sent) == 3  # LINKS_PER_HOUR
    clock.now += timedelta(hours=1, minutes=1)
    page = client.get("/lien")
    client.post("/lien", data={**_csrf(page.text), "email": owner})
    assert client.get(last_link(desk, reference), follow_redirects=True).status_code == 200
    assert len([m for m in desk.outbox()
                if m.subject.endswith("Votre lien vers votre dossier")]) == 4


def test_an_owner_post_without_its_csrf_token_writes_nothing(owner_site):
    client, desk, clock = owner_site
    reference = desk.submit()
    client.get(last_link(desk, reference))
    before = _digest(desk)
    answer = client.post(f"/g/bretagne-2021/porteur/{reference}/retrait",
                         data={"reason": "x", "version": "1"})
    assert answer.status_code == 403 and _digest(desk) == before


def test_a_coordinator_revokes_the_links_from_the_dossier_page_or_the_command_line(owner_site,
                                                                                  cli, tmp_path):
    from tests.web.test_pages import login

    client, desk, clock = owner_site
    reference = desk.submit()
    link = last_link(desk, reference)
    staff = TestClient(create_app(WebSettings(desk.engine, clock=clock, demo_login=True)))
    login(staff, INSTRUCTOR["29"])
    page = staff.get(f"/g/bretagne-2021/dossiers/{reference}").text
    assert "Révoquer les liens" not in page
    login(staff, COORDINATOR)
    page = staff.get(f"/g/bretagne-2021/dossiers/{reference}").text
    done = staff.post(f"/g/bretagne-2021/dossiers/{reference}/liens",
                      data={**_csrf(page.split('/liens"')[1]), "reason": "adresse changée"},
                      follow_redirects=True)
    assert "ne l'ouvrent plus" in _text(done.text)
    assert client.get(link).status_code == 403
    assert desk.show(reference)["history"][-1]["event"] == "revoke_links"
    # the command line: a coordinator may, an instructor may not
    path = tmp_path / "form.json"
    path.write_text(json.dumps(form(), ensure_ascii=False), encoding="utf-8")
    filed = cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00")
    before = cli.digest()
    refused = cli("dossier", "revoke-links", filed, actor=INSTRUCTOR["29"])
    assert refused.code == 1 and "coordinateur" in refused.err and cli.digest() == before
    assert "ne l'ouvrent plus" in cli.ok("dossier", "revoke-links", filed, actor=COORDINATOR)


def test_the_links_name_the_public_address_of_the_site(desk, monkeypatch):
    """COMITE_PUBLIC_URL, else the guichet's [web] public_url, else `comite serve`'s address."""
    from workflow import context, links

    monkeypatch.delenv("COMITE_PUBLIC_URL", raising=False)
    reference = desk.submit()
    assert "http://127.0.0.1:8000/lien/" in desk.outbox()[-1].text
    monkeypatch.setenv("COMITE_PUBLIC_URL", "https://comite.prefecture.example.org/")
    desk.fire("start_instruction", reference, actor=INSTRUCTOR["29"], now="2021-05-10 09:00")
    assert "https://comite.prefecture.example.org/lien/" in desk.outbox()[-1].text
    monkeypatch.delenv("COMITE_PUBLIC_URL")
    loaded = desk._read(lambda s: context.guichet(s))
    configured = loaded.config.model_copy(update={"web": loaded.config.web.model_copy(
        update={"public_url": "https://guichet.example.org"})})
    loaded.__dict__["config"] = configured  # the parsed file, as if [web] public_url were set
    assert links.site(loaded) == "https://guichet.example.org"
