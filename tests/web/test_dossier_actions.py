"""A dossier's actions on its page: each event a small form, refused ones shown with the rules'
reasons, the version read carried by the form; nothing written when anything is wrong."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from tests.helpers import COORDINATOR, INSTRUCTOR, form, siren
from tests.web.test_pages import _text, login
from tests.web.test_pages import site as site  # noqa: F401  (the fixture)

PARIS = ZoneInfo("Europe/Paris")
URL = "/g/bretagne-2021/dossiers/BZH-2021-0004"


@pytest.fixture
def filed(site, tmp_path):  # noqa: F811
    """A fourth Bretagne dossier (22) filed in October 2021; the site's clock on 2 November."""
    client, cli = site
    _submit(cli, tmp_path, 4, "Projet breton 4", "2021-10-20T10:00")
    client.app.state.settings.clock = lambda: datetime(2021, 11, 2, 10, tzinfo=PARIS)
    return client, cli


def _submit(cli, folder, number: int, title: str, now: str) -> None:
    """The ``number``-th Bretagne dossier, of the 22, filed on the command line at ``now``."""
    path = folder / f"d{number}.json"
    path.write_text(json.dumps(form(applicant={"department": "22",
                                               "siren": siren(21_000_100 + number)},
                                    title=title), ensure_ascii=False), encoding="utf-8")
    cli.ok("dossier", "submit", str(path), "--guichet", "bretagne-2021", now=now)


def _form_html(client: TestClient, event: str, url: str = URL) -> str:
    """The page's form for ``event``, as HTML."""
    found = re.search(rf'action="[^"]*/evenements/{event}"[^>]*>(.*?)</form>',
                      client.get(url).text, re.S)
    assert found is not None, f"no form for {event}"
    return found.group(1)


def _form(client: TestClient, event: str, url: str = URL) -> dict[str, str]:
    """The hidden fields (CSRF token, version read) of the page's form for ``event``."""
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"',
                           _form_html(client, event, url)))


def _post(client: TestClient, event: str, url: str = URL, **fields: str):
    return client.post(f"{url}/evenements/{event}", data={**_form(client, event, url), **fields},
                       follow_redirects=True)


def test_an_instructor_instructs_and_schedules_their_dossier_from_its_page(filed):
    client, cli = filed
    login(client, INSTRUCTOR["22"])
    done = _post(client, "start_instruction")
    assert done.status_code == 200 and "maintenant « en instruction »" in _text(done.text)
    done = _post(client, "schedule", session="2022-02-08")
    page = _text(done.text)
    assert "maintenant « inscrit en comité »" in page and "08/02/2022" in page
    shown = json.loads(cli.ok("dossier", "show", "BZH-2021-0004", "--json"))
    assert [h["event"] for h in shown["history"]] == ["submit", "start_instruction", "schedule"]
    assert shown["history"][-1]["actor"] == INSTRUCTOR["22"]
    # no decision form for an instructor: the decisions are listed with the rule's reason
    assert "/evenements/accept" not in done.text
    assert "ne peut pas décider : seuls les coordinateurs" in page


def test_the_schedule_form_offers_the_sessions_whose_agenda_is_open_and_says_when_none_is(filed):
    client, cli = filed
    login(client, INSTRUCTOR["22"])
    _post(client, "start_instruction")
    # on 2 November: June's session is closed, September's and October's agendas too
    offered = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', _form_html(client, "schedule"))
    assert offered == ["2022-02-08"]
    cli.ok("session", "convene", "2022-02-08", "--guichet", "bretagne-2021",
           now="2021-11-02T11:00", actor=COORDINATOR)
    page = client.get(URL).text
    assert "/evenements/schedule" not in page
    assert "Pas maintenant : aucune session prévue ne peut recevoir le dossier maintenant" in page


def test_an_ineligible_dossier_shows_why_in_place_of_the_schedule_form(filed, tmp_path):
    client, cli = filed
    _submit(cli, tmp_path, 5, "Permis de construire en ligne", "2021-10-21T10:00")
    url = URL.replace("0004", "0005")
    login(client, INSTRUCTOR["22"])
    _post(client, "start_instruction", url)
    page = client.get(url).text
    assert "/evenements/schedule" not in page
    assert ("Pas maintenant : dossier inéligible : exclusion « dématérialisation des "
            "autorisations d'urbanisme") in _text(page)


def test_bad_input_and_refusals_show_on_their_form_keep_what_was_typed_and_write_nothing(filed):
    client, cli = filed
    login(client, COORDINATOR)
    _post(client, "start_instruction")
    before = cli.digest()
    # a page read before September's agenda closed offered it: the rule refuses it now
    wrong = _post(client, "schedule", session="2021-09-14", reason="Dossier prioritaire")
    assert wrong.status_code == 409
    assert "est clos depuis le 07/09/2021" in _text(wrong.text)
    assert ">Dossier prioritaire</textarea>" in wrong.text
    assert re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', wrong.text) == ["2022-02-08"]
    typed = _post(client, "withdraw", reason="   ")
    assert typed.status_code == 409 and "Le motif du retrait est obligatoire" in _text(typed.text)
    assert cli.digest() == before


@pytest.mark.parametrize(("event", "fields", "said", "status"), [
    ("withdraw", {"reason": "   "}, "Le motif du retrait est obligatoire", 409),
    ("schedule", {"session": ""}, "Date de session manquante (AAAA-MM-JJ)", 422),
    ("schedule", {"session": "2099-01-01"}, "Aucune session le 2099-01-01", 422),
    ("withdraw", {"reason": "Abandon\x1b"}, "Caractère de contrôle", 422),
])
def test_a_refusal_on_a_page_speaks_of_the_form_not_of_the_command_line(filed, event, fields,
                                                                         said, status):
    client, cli = filed
    login(client, COORDINATOR)
    _post(client, "start_instruction")
    answer = _post(client, event, **fields)
    shown = _text(answer.text)
    assert answer.status_code == status and said.split(" : ")[-1] in shown
    # no option of the command line, no event code, no list of what the command line may do
    assert "--" not in shown and f"({event})" not in shown and "possibles maintenant" not in shown
    if "session" in fields:  # the error sits on the form's own field
        assert "fr-select-group--error" in answer.text


def test_a_form_read_before_someone_else_acted_is_a_conflict_and_overwrites_nothing(filed):
    client, cli = filed
    login(client, COORDINATOR)
    stale = _form(client, "start_instruction")
    other = TestClient(client.app)
    login(other, INSTRUCTOR["22"])
    assert _post(other, "start_instruction").status_code == 200
    before = cli.digest()
    late = client.post(f"{URL}/evenements/withdraw",
                       data={**stale, "reason": "Doublon"}, follow_redirects=True)
    assert late.status_code == 409
    page = _text(late.text)
    assert "Le dossier a changé pendant votre action" in page and "Recharger le dossier" in page
    assert "en instruction" in page  # the dossier as it is now
    assert cli.digest() == before


def test_a_member_may_post_no_event_and_an_instructor_reaches_no_other_departement(filed):
    client, cli = filed
    login(client, COORDINATOR)
    fields = _form(client, "start_instruction")
    before = cli.digest()
    member = TestClient(client.app)
    login(member, "membre.dinum@example.org")
    page = member.get(URL).text
    assert "<form" not in page.split("Actions possibles")[1]  # nothing offered
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    refused = member.post(f"{URL}/evenements/start_instruction",
                          data={**fields, "csrf": token}, follow_redirects=True)
    assert refused.status_code == 409 and "ne peut pas instruire" in _text(refused.text)
    other = TestClient(client.app)
    login(other, INSTRUCTOR["29"])
    token = re.search(r'name="csrf" value="([^"]+)"', other.get("/g/bretagne-2021/").text).group(1)
    assert other.post(f"{URL}/evenements/start_instruction",
                      data={**fields, "csrf": token}).status_code == 404
    anonymous = TestClient(client.app)
    assert anonymous.post(f"{URL}/evenements/start_instruction",
                          data=fields).status_code == 403
    assert cli.digest() == before


def test_a_dossier_sent_back_is_resubmitted_with_its_revised_form_as_a_file(filed):
    client, cli = filed
    login(client, INSTRUCTOR["29"])
    url = "/g/bretagne-2021/dossiers/BZH-2021-0002"
    revised = form(applicant={"department": "29", "siren": siren(21_000_102)},
                   title="Projet breton 2, avec les usagers")
    fields = _form(client, "resubmit", url)
    broken = client.post(f"{url}/evenements/resubmit", data=fields, files={
        "file": ("revise.json", b"{pas du json", "application/json")})
    assert broken.status_code == 422 and "revise.json" in _text(broken.text)
    large = client.post(f"{url}/evenements/resubmit", data=fields, files={
        "file": ("grand.json", b" " * 1_000_001, "application/json")})
    assert large.status_code == 422 and "grand.json : fichier trop gros" in _text(large.text)
    done = client.post(f"{url}/evenements/resubmit", data=fields, files={
        "file": ("revise.json", json.dumps(revised).encode(), "application/json")})
    assert done.status_code == 200 and "maintenant « déposé »" in _text(done.text)
    shown = json.loads(cli.ok("dossier", "show", "BZH-2021-0002", "--json"))
    assert shown["revision"] == 2 and shown["title"] == "Projet breton 2, avec les usagers"


def test_the_page_shows_the_application_amounts_findings_and_messages_to_the_owner(filed):
    client, _ = filed
    login(client, COORDINATOR)
    page = _text(client.get("/g/bretagne-2021/dossiers/BZH-2021-0001").text)
    assert "Forfait de la mesure" in page and "Aucun motif d'inéligibilité" in page
    messages = page.split("Courriels au porteur")[1]
    assert "envoyé" in messages or "en attente" in messages
    assert "Projet breton 1" in page and "Exemplaire" in page
    # the form's coded answers as French says them, never their codes
    assert "Stade du projet mise en œuvre" in page
    assert "commune, 18 500 habitants" in page  # as French writes a number, not « 18500 »
    reports = page.split("Rapports reçus")[1].split("Courriels au porteur")[0]
    assert "3e trimestre 2021" in reports and "dans les temps" in reports
    assert not {"implementation", "on_track", "2021-Q3"} & set(page.split()), page
    # the history says what each event was, never its code
    from states.lifecycle import EVENTS

    history = page.split("Historique")[1].split("Rapports reçus")[0]
    assert "dossier déposé , par" in history and "financement accordé" in history
    assert "convention signée" in history and "rapport trimestriel reçu" in history
    assert not {*EVENTS, "submit"} & set(re.findall(r"\w+", history)), history


def test_a_chart_by_authority_kind_names_each_kind_in_french():
    from reports.charts import rows

    figures = {"by_kind": {"epci": {"count": 2, "awarded_eur": "60000.00"},
                           "other": {"count": 1, "awarded_eur": "5000.00"}}}
    assert [row["label"] for row in rows(figures, "by_kind")] == ["EPCI", "autre"]
    assert [row["label"] for row in rows({"by_measure": {"3a": figures["by_kind"]["epci"]}},
                                         "by_measure")] == ["3a"]
