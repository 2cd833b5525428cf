"""The June 2021 session of the Bretagne guichet, run in a real Chromium by a coordinator who
logs in with ProConnect (a local provider that follows its rules); an instructor's day; two
people acting on one dossier at once; the board with the keyboard alone; axe on every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR, INSTRUCTOR
from tests.web.test_browser import _violations, serving
from tests.web.test_browser import browser as browser  # noqa: F401  (the fixture)

PARIS = ZoneInfo("Europe/Paris")
BOARD = f"/g/bretagne-2021/sessions/{campaigns.JUNE}"


@pytest.fixture
def june(provider, tmp_path, capsys, monkeypatch):
    """The June agenda in a SQLite base; the site on it, logging in with the local provider."""
    from web.app import WebSettings, create_app
    from workflow.db import engine_for

    campaigns.unset_environment(monkeypatch)
    url = f"sqlite:///{tmp_path / 'june.db'}"
    cli = Cli(url, capsys, monkeypatch)
    references = campaigns.june_agenda(cli, tmp_path)
    engine = engine_for(url)
    app = create_app(WebSettings(engine, proconnect=provider.settings()))
    with serving(app) as base:
        yield base, app, engine, references, cli


def at(app, *when: int) -> None:
    app.state.settings.clock = lambda: datetime(*when, tzinfo=PARIS)


def days_later(page, app, base: str, email: str, *when: int) -> None:
    """The site's clock days later: a login lasts 12 hours, so the person logs in again."""
    at(app, *when)
    log_in(page, base, email)


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_role("link", name="S'identifier avec ProConnect").click()
    page.get_by_label("Adresse électronique").fill(email)  # the provider's own page
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(f"{base}/g/**")


def confirm(page, base: str, label: str, **fields: str) -> None:
    page.goto(f"{base}{BOARD}")
    page.get_by_role("link", name=label, exact=True).click()
    for name, value in fields.items():
        page.get_by_label(name).fill(value)
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_load_state()


def decide(page, reference: str, decision: str, *, reason: str, amount: str = "",
           later: str = "") -> None:
    line = page.locator(f"#ligne-{reference}")
    line.get_by_label("Décision").select_option(decision)
    line.get_by_label("Montant accordé (€)").fill(amount)
    if later:
        line.get_by_label("Reporter à").select_option(later)
    line.get_by_label("Motivation").fill(reason)


def _held(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT COUNT(*) FROM outbox WHERE status = 'held'")).scalar_one()


def test_a_coordinator_runs_the_june_session_from_the_board_and_downloads_the_minutes(browser,
                                                                                     june):
    base, app, engine, (a, b, c, d, e), cli = june
    page = browser.new_page()
    at(app, 2021, 6, 14, 10)
    log_in(page, base, COORDINATOR)
    confirm(page, base, "Convoquer")
    assert "convoquée" in page.locator(".fr-alert--success").inner_text()
    days_later(page, app, base, COORDINATOR, 2021, 6, 22, 9)
    confirm(page, base, "Ouvrir la séance")
    decide(page, a, "accept", amount="30000", reason="Exemplaire")
    decide(page, b, "request_revision", reason="Associer les usagers")
    decide(page, c, "refuse", reason="Achat de matériel")
    decide(page, d, "defer", later="2021-09-14", reason="Pièces à venir")
    decide(page, e, "accept", amount="20000", reason="Très bien")
    # the envelope left follows the amounts typed (the page's script)
    assert page.locator("#enveloppes output").first.inner_text().replace("\u202f", " ") \
        .startswith("1 138 000,00")
    before = cli.digest()
    page.get_by_role("button", name="Enregistrer les décisions").click()
    page.wait_for_load_state()
    line = page.locator(f"#ligne-{e}").inner_text()
    assert f"déjà lauréat à titre individuel du dossier {a}" in line  # on its line
    assert page.locator(f"#ligne-{a}").get_by_label("Montant accordé (€)").input_value() == "30000"
    assert cli.digest() == before  # nothing applied
    decide(page, e, "refuse", reason=f"Déjà lauréat avec le dossier {a}")
    page.get_by_role("button", name="Enregistrer les décisions").click()
    page.wait_for_load_state()
    assert "5 décisions enregistrées" in page.content()
    assert _held(engine) == 4  # the decision emails wait for the close
    page.goto(f"{base}/g/bretagne-2021/courriels?status=queued")
    assert "Décision" not in page.locator("main").inner_text()
    at(app, 2021, 6, 22, 12)
    confirm(page, base, "Clore la séance")
    assert _held(engine) == 0
    page.goto(f"{base}/g/bretagne-2021/courriels?status=queued")
    assert page.locator("main").inner_text().count(f"[{a}]") >= 1
    page.goto(f"{base}{BOARD}")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    from pathlib import Path

    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.close()


def test_an_instructor_instructs_and_schedules_their_own_dossier_and_nothing_else(browser, june,
                                                                                tmp_path):
    import json

    from tests.helpers import form, siren

    base, app, _, refs, cli = june
    path = tmp_path / "d29.json"
    path.write_text(json.dumps(form(applicant={"department": "29", "siren": siren(21_000_299)},
                                    title="Projet finistérien"), ensure_ascii=False),
                    encoding="utf-8")
    cli.ok("dossier", "submit", str(path), now="2021-08-02T10:00")
    at(app, 2021, 8, 3, 10)
    page = browser.new_page()
    log_in(page, base, INSTRUCTOR["29"])
    page.get_by_role("link", name="Dossiers").first.click()
    page.get_by_role("link", name="BZH-2021-0006").click()
    page.get_by_role("button", name="Commencer l'instruction").click()
    page.wait_for_load_state()
    assert "en instruction" in page.locator(".fr-alert--success").inner_text()
    page.get_by_label("Session").select_option("2021-09-14")
    page.get_by_role("button", name="Inscrire en comité").click()
    page.wait_for_load_state()
    assert "inscrit en comité" in page.locator(".fr-alert--success").inner_text()
    assert page.get_by_role("button", name="Accorder le financement").count() == 0
    assert "seuls les coordinateurs" in page.content()
    answer = page.goto(f"{base}/g/bretagne-2021/dossiers/{refs[0]}")  # a dossier of the 22
    assert answer is not None and answer.status == 404
    page.close()


def test_two_people_act_on_one_dossier_the_second_is_told_of_the_conflict(browser, june):
    base, app, engine, refs, _ = june
    at(app, 2021, 6, 1, 10)
    first, second = browser.new_context(), browser.new_context()
    one, two = first.new_page(), second.new_page()
    log_in(one, base, COORDINATOR)
    log_in(two, base, INSTRUCTOR["22"])
    url = f"{base}/g/bretagne-2021/dossiers/{refs[0]}"
    for page in (one, two):
        page.goto(url)
        page.locator("#withdraw-reason").fill("Doublon")
    one.get_by_role("button", name="Retirer le dossier").click()
    one.wait_for_load_state()
    assert "retiré" in one.locator(".fr-alert--success").inner_text()
    two.get_by_role("button", name="Retirer le dossier").click()
    two.wait_for_load_state()
    assert "Le dossier a changé pendant votre action" in two.content()
    assert two.get_by_role("link", name="Recharger le dossier").count() == 1
    with engine.connect() as connection:
        assert connection.execute(text(
            "SELECT COUNT(*) FROM audit WHERE event = 'withdraw'")).scalar_one() == 1
    first.close()
    second.close()


def _tab_to(page, element_id: str, limit: int = 400) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reached with the Tab key")


def test_the_board_is_used_with_the_keyboard_alone_and_every_page_passes_axe(browser, june):
    base, app, _, refs, _ = june
    at(app, 2021, 6, 14, 10)
    page = browser.new_page(bypass_csp=True)  # axe is injected as a script
    failures = {}
    page.goto(f"{base}/connexion")
    failures["connexion ProConnect"] = _violations(page)
    page.get_by_role("link", name="S'identifier avec ProConnect").click()
    page.get_by_label("Adresse électronique").fill("inconnu@example.org")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_load_state()
    assert "ne fait partie de l'équipe" in page.content()
    failures["pas dans l'équipe"] = _violations(page)
    log_in(page, base, COORDINATOR)
    for name, path in (("sessions", "/g/bretagne-2021/sessions"), ("session prévue", BOARD),
                       ("confirmation", f"{BOARD}/convene"), ("déplacer", f"{BOARD}/move"),
                       ("dossier et ses actions", f"/g/bretagne-2021/dossiers/{refs[0]}")):
        page.goto(f"{base}{path}")
        failures[name] = _violations(page)
    confirm(page, base, "Convoquer")
    days_later(page, app, base, COORDINATOR, 2021, 6, 22, 9)
    confirm(page, base, "Ouvrir la séance")
    page.goto(f"{base}{BOARD}")
    failures["séance ouverte"] = _violations(page)
    first = refs[0]
    _tab_to(page, f"decision-{first}")
    page.keyboard.press("ArrowDown")  # « Accorder le financement »
    _tab_to(page, f"amount-{first}")
    page.keyboard.type("40000")  # above what was asked
    _tab_to(page, f"reason-{first}")
    page.keyboard.type("Exemplaire")
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.type") != "submit":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "dépasse le montant demandé" in page.locator(f"#ligne-{first}").inner_text()
    failures["décisions refusées"] = _violations(page)
    page.goto(f"{base}/g/bretagne-2021/dossiers/{refs[1]}")
    page.locator("#withdraw-reason").fill(" ")
    page.get_by_role("button", name="Retirer le dossier").click()
    page.wait_for_load_state()
    failures["action refusée"] = _violations(page)
    assert {name: found for name, found in failures.items() if found} == {}
    page.close()
