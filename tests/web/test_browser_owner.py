"""Owners in a real Chromium: filing online, the link from the email, a quarterly report, a
dossier reworked, another withdrawn; every owner page checked by axe-core, the forms used with
the keyboard alone and without JavaScript."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.helpers import COORDINATOR, INSTRUCTOR, Desk, at, form, make_engine, siren
from tests.web.test_browser import _violations, serving
from tests.web.test_browser import browser as browser  # noqa: F401  (the fixture)
from tests.web.test_owner import Clock


@pytest.fixture
def owners(tmp_path):
    """Bretagne (its example opens filing online), the web app on it; its clock can be moved."""
    from web.app import WebSettings, create_app

    engine = make_engine(f"sqlite:///{tmp_path / 'owners.db'}")
    clock = Clock(at("2021-05-03 10:00"))
    with serving(create_app(WebSettings(engine, clock=clock))) as base:
        yield base, Desk(engine), clock
    engine.dispose()


def _link(desk: Desk, reference: str, base: str) -> str:
    text = [m for m in desk.outbox() if m.reference == reference][-1].text
    found = re.search(r"http://127\.0\.0\.1:8000(/lien/\S+)", text)
    assert found is not None, text
    return base + found.group(1)


def _fill(page, values: dict[str, str]) -> None:
    """Each field of the form, found by its id, filled (or chosen) as a person would."""
    for key, value in values.items():
        field = page.locator(f"#{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


APPLICATION = {
    "applicant-name": "Commune de Lanvern-Exemple", "applicant-kind": "commune",
    "applicant-population": "1800", "applicant-siren": siren(29_000_901),
    "applicant-department": "29", "contact-last_name": "Le Goff-Exemple",
    "contact-first_name": "Anne", "contact-function": "Secrétaire de mairie",
    "contact-address": "1 place de la Mairie, 29000 Lanvern-Exemple",
    "contact-email": "mairie@lanvern.example.org", "contact-phone": "02 98 00 00 00",
    "measure": "3c", "title": "Démarches en ligne de la mairie",
    "presentation": "Un portail de démarches.", "stage": "implementation",
    "total_cost_eur": "30 000,00", "requested_eur": "40 000,00",  # more than the cost: refused
    "end_date": "2022-06-30", "signatory": "Le maire", "signed_on": "2021-05-02",
}


REPORT = {  # the second company's SIREN has a wrong check digit
    "period": "2021-Q3", "progress": "Marché notifié, déploiement commencé.",
    "percent_done": "40", "end_date": "2022-06-30", "status": "on_track",
    "companies-0-name": "Société Alpha-Exemple", "companies-0-siren": siren(33_000_011),
    "companies-0-department": "29", "companies-1-name": "Société Beta-Exemple",
    "companies-1-siren": "123456789", "companies-1-department": "35",
}


def test_an_owner_files_online_and_follows_the_link_from_the_receipt_email(browser, owners):
    base, desk, clock = owners
    page = browser.new_page(bypass_csp=True)
    failures = {}
    page.goto(f"{base}/g/bretagne-2021/deposer")
    failures["dépôt"] = _violations(page)
    _fill(page, APPLICATION)
    page.get_by_role("button", name="Déposer le dossier").click()
    assert "obligatoire" in page.locator("#commitment-erreur").inner_text()
    page.locator("label[for=commitment]").click()  # the DSFR draws the box on its label
    page.get_by_role("button", name="Déposer le dossier").click()
    assert "dépasse le coût total" in page.locator("#requested_eur-erreur").inner_text()
    failures["dépôt refusé"] = _violations(page)
    assert page.locator("#title").input_value() == APPLICATION["title"]  # kept
    page.locator("#requested_eur").fill("20 000,00")
    page.get_by_role("button", name="Déposer le dossier").click()
    reference = page.locator("strong", has_text="BZH-2021-").inner_text()
    failures["accusé de réception"] = _violations(page)
    # the link in the receipt email opens the dossier; its state follows the instructor's acts
    page.goto(_link(desk, reference, base))
    assert page.get_by_role("heading", level=1).inner_text() == f"Votre dossier {reference}"
    assert "déposé" in page.content()
    failures["dossier du porteur"] = _violations(page)
    desk.fire("start_instruction", reference, actor=INSTRUCTOR["29"], now="2021-05-10 09:00")
    page.reload()
    assert "La préfecture instruit votre dossier" in page.content()
    page.goto(f"{base}/lien/abimé")
    failures["lien refusé"] = _violations(page)
    page.get_by_role("link", name="Recevoir un nouveau lien").click()
    failures["nouveau lien"] = _violations(page)
    assert {name: found for name, found in failures.items() if found} == {}
    page.close()


def test_an_owner_sends_a_report_reworks_a_dossier_and_withdraws_another(browser, owners):
    base, desk, clock = owners
    laureate = desk.scheduled()
    revised = desk.scheduled(form(applicant={"siren": siren(29_000_902)}, title="Second"))
    desk.held()
    desk.fire("accept", laureate, actor=COORDINATOR, now="2021-06-22 10:00", amount=1_000_000,
              reason="Projet exemplaire")
    desk.fire("request_revision", revised, actor=COORDINATOR, now="2021-06-22 10:30",
              reason="Préciser le calendrier")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    desk.fire("send_agreement", laureate, actor=INSTRUCTOR["29"], now="2021-06-25 10:00")
    desk.fire("sign_agreement", laureate, actor=INSTRUCTOR["29"], now="2021-07-02 10:00",
              signed_on=date(2021, 7, 1))
    clock.now = at("2021-10-05 10:00")
    failures = {}

    # a Q3 report with two companies, one with a bad SIREN first, with JavaScript off
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    page = context.new_page()
    page.goto(_link(desk, laureate, base))
    page.get_by_role("link", name="Envoyer un rapport trimestriel").click()
    _fill(page, REPORT)
    before = len(desk.outbox())
    page.get_by_role("button", name="Envoyer le rapport").click()
    assert "clé de contrôle" in page.locator("#companies-1-siren-erreur").inner_text()
    assert page.locator("#companies-1-name").input_value() == "Société Beta-Exemple"
    assert desk.show(laureate)["reports"] == [] and len(desk.outbox()) == before
    context.close()
    page = browser.new_page(bypass_csp=True)
    page.goto(_link(desk, laureate, base))
    page.goto(f"{base}/g/bretagne-2021/porteur/{laureate}/rapport")
    failures["rapport"] = _violations(page)
    _fill(page, REPORT)
    page.get_by_role("button", name="Envoyer le rapport").click()
    failures["rapport refusé"] = _violations(page)
    page.locator("#companies-1-siren").fill(siren(35_000_012))
    page.get_by_role("button", name="Envoyer le rapport").click()
    assert "Votre rapport du 3e trimestre 2021 est envoyé" in page.content()
    assert [c["name"] for c in desk.show(laureate)["reports"][0]["companies"]] == [
        "Société Alpha-Exemple", "Société Beta-Exemple"]
    assert "rapport" in desk.outbox()[-1].subject.lower()

    # the dossier sent back: the committee's words, the form prefilled, resubmitted
    page.goto(_link(desk, revised, base))
    assert "Préciser le calendrier" in page.content()
    page.get_by_role("link", name="Revoir et redéposer le dossier").click()
    failures["révision"] = _violations(page)
    assert page.locator("#applicant-siren").input_value() == siren(29_000_902)
    page.locator("#title").fill("Second, calendrier précisé")
    page.locator("#title").press("Enter")  # Enter in a field sends the form, adds no row
    page.get_by_text("Votre dossier révisé est déposé (révision 2)", exact=False).wait_for()
    shown = desk.show(revised)
    assert (shown["state"], shown["revision"], shown["title"]) == (
        "submitted", 2, "Second, calendrier précisé")

    # withdraw another, with the keyboard alone
    other = desk.submit(form(applicant={"siren": siren(29_000_903)}, title="Troisième"),
                        now="2021-10-04 10:00")
    page.goto(_link(desk, other, base))
    page.get_by_role("link", name="Retirer le dossier").click()
    failures["retrait"] = _violations(page)
    page.locator("#reason").focus()
    page.keyboard.type("Projet abandonné")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Confirmer le retrait"
    page.keyboard.press("Enter")
    page.get_by_text("Votre dossier est retiré ;", exact=False).wait_for()
    assert desk.show(other)["state"] == "withdrawn"
    failures["retiré"] = _violations(page)
    assert {name: found for name, found in failures.items() if found} == {}
    page.close()


def test_the_filing_form_works_without_javascript_and_is_sent_with_the_enter_key(browser,
                                                                                 owners):
    base, desk, clock = owners
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/g/bretagne-2021/deposer")
    _fill(page, {**APPLICATION, "requested_eur": "20 000,00"})
    page.locator("label[for=commitment]").click()
    page.locator("#signed_on").press("Enter")
    reference = page.locator("strong", has_text="BZH-2021-").inner_text()
    assert desk.show(reference)["title"] == APPLICATION["title"]
    context.close()
