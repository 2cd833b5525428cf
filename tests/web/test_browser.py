"""The pages in a real Chromium (Debian's, driven by Playwright): what a person sees and does,
and every page checked by axe-core for WCAG 2.1 A and AA.

The browser is /usr/bin/chromium (or COMITE_CHROMIUM). Without it these tests skip, except where
COMITE_REQUIRE_BROWSER is set (.ci/run sets it): there a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR, INSTRUCTOR
from tests.smtp_server import free_port

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _chromium() -> str:
    found = os.environ.get("COMITE_CHROMIUM") or shutil.which("chromium")
    if found is None:
        if os.environ.get("COMITE_REQUIRE_BROWSER"):
            pytest.fail("Chromium est introuvable (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


@contextlib.contextmanager
def serving(app):
    """``app`` under uvicorn on a free port of 127.0.0.1, in a thread; yields its address."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def site(tmp_path, capsys, monkeypatch):
    """Both campaigns in a SQLite base, the web app on it (demo login) on a free port."""
    from web.app import WebSettings, create_app
    from workflow.db import engine_for

    campaigns.unset_environment(monkeypatch)
    url = f"sqlite:///{tmp_path / 'site.db'}"
    campaigns.replayed(Cli(url, capsys, monkeypatch), tmp_path)
    with serving(create_app(WebSettings(engine_for(url), demo_login=True))) as base:
        yield base


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG)
    assert result["passes"], "axe checked nothing"
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]]


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion")
    page.locator("tr", has_text=email).get_by_role("button").click()
    page.wait_for_load_state()


def test_every_page_passes_axe_for_wcag_2_1_a_and_aa(browser, site):
    # axe is injected as a script the pages' own policy would (rightly) refuse
    page = browser.new_page(bypass_csp=True)
    failures = {}
    page.goto(f"{site}/connexion")
    failures["connexion"] = _violations(page)
    _login(page, site, COORDINATOR)
    for name, path in (("tableau de bord", "/g/bretagne-2021/"),
                       ("dossiers", "/g/bretagne-2021/dossiers"),
                       ("dossiers filtrés", "/g/bretagne-2021/dossiers?state=refused"),
                       ("dossiers par texte", "/g/bretagne-2021/dossiers?text=breton&measure=3c"),
                       ("dossier", "/g/bretagne-2021/dossiers/BZH-2021-0001"),
                       ("courriels", "/g/bretagne-2021/courriels"),
                       ("le guichet", "/g/bretagne-2021/guichet"),
                       ("rapports", "/g/bretagne-2021/rapports?month=2021-10"),
                       ("sessions", "/g/bretagne-2021/sessions"),
                       ("session close", "/g/bretagne-2021/sessions/2021-06-22"),
                       ("dossiers triés", "/g/bretagne-2021/dossiers?sort=requested&order=desc"),
                       ("page introuvable", "/g/bretagne-2021/dossiers/BZH-2099-0001"),
                       ("jetons", "/jetons"), ("documentation de l'API", "/api/v1/docs")):
        page.goto(f"{site}{path}")
        failures[name] = _violations(page)
    stranger = browser.new_page(bypass_csp=True)  # no session
    stranger.goto(f"{site}/g/bretagne-2021/")
    failures["non connecté"] = _violations(stranger)
    assert {name: found for name, found in failures.items() if found} == {}
    page.close()
    stranger.close()


def test_a_coordinator_logs_in_and_walks_from_the_board_to_a_dossier(browser, site):
    page = browser.new_page()
    _login(page, site, COORDINATOR)
    assert page.url.endswith("/g/bretagne-2021/")
    assert page.get_by_role("heading", level=1).inner_text().startswith(
        "Transformation numérique des collectivités - Bretagne")
    page.get_by_role("link", name="Dossiers").click()
    page.get_by_label("État").select_option("accepted")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    rows = page.locator("tbody tr")
    assert rows.count() == 0 or "BZH-2021-0002" not in page.content()
    page.get_by_label("État").select_option("")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="BZH-2021-0001").click()
    assert "Exemplaire" in page.content()  # the motivation, in the history
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    assert page.url.endswith("/connexion")
    page.close()


def test_an_instructor_is_shown_a_404_for_another_departements_dossier(browser, site):
    page = browser.new_page()
    _login(page, site, INSTRUCTOR["22"])
    answer = page.goto(f"{site}/g/bretagne-2021/dossiers/BZH-2021-0002")
    assert answer is not None and answer.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    page.close()
