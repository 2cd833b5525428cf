"""Logging in with ProConnect: against a local provider that follows ProConnect's rules
(tests/oidc_provider.py): long state and nonce, client_secret_post, 60 s access tokens, userinfo
as a signed JWT, and the end-session endpoint on logout."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from starlette.testclient import TestClient

from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR, EXAMPLE
from tests.web.test_pages import _text
from web.app import WebSettings, create_app
from web.proconnect import ProConnect, configured


@pytest.fixture
def site(provider, tmp_path, capsys, monkeypatch):
    from workflow.db import engine_for

    campaigns.unset_environment(monkeypatch)
    url = f"sqlite:///{tmp_path / 'pc.db'}"
    Cli(url, capsys, monkeypatch).ok("init", str(EXAMPLE), now="2021-05-01T09:00")
    return TestClient(create_app(WebSettings(engine_for(url), proconnect=provider.settings())))


def log_in_as(client: TestClient, email: str):
    """The whole dance: comite → the provider's login page → back to comite."""
    start = client.get("/connexion/proconnect", follow_redirects=False)
    assert start.status_code == 302
    asked = parse_qs(urlsplit(start.headers["location"]).query)
    with httpx2.Client() as browser:
        form = browser.get(start.headers["location"])
        assert form.status_code == 200, form.text
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.text))
        back = browser.post(str(form.url).split("?")[0], data={**fields, "email": email})
    assert back.status_code == 302, back.text
    target = urlsplit(back.headers["location"])
    return asked, client.get(f"{target.path}?{target.query}", follow_redirects=False)


def test_a_coordinator_logs_in_with_proconnect_and_logs_out_through_it(site, provider):
    assert "S'identifier avec ProConnect" in site.get("/connexion").text
    asked, answer = log_in_as(site, COORDINATOR.upper())  # matched whatever the case
    assert len(asked["state"][0]) >= 32 and len(asked["nonce"][0]) >= 32
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert site.get("/", follow_redirects=False).headers["location"] == "/g/bretagne-2021/"
    assert site.get("/g/bretagne-2021/").status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', site.get("/g/bretagne-2021/").text).group(1)
    out = site.post("/deconnexion", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 302 and out.headers["location"].startswith(
        f"{provider.base}/session/end")
    ended = parse_qs(urlsplit(out.headers["location"]).query)
    assert ended["id_token_hint"] and ended["post_logout_redirect_uri"] == ["http://testserver/"]
    assert site.get("/g/bretagne-2021/").status_code == 401
    assert provider.refused == []  # every rule of the provider was followed


def test_someone_not_on_a_team_is_told_so_and_gets_nothing_else(site):
    _, answer = log_in_as(site, "inconnu@example.org")
    assert answer.status_code == 403 and "ne fait partie de l'équipe" in _text(answer.text)
    assert "BZH" not in answer.text
    assert site.get("/g/bretagne-2021/").status_code == 401  # not logged in


def test_a_callback_that_does_not_match_its_request_logs_nobody_in(site):
    start = site.get("/connexion/proconnect", follow_redirects=False)
    assert start.status_code == 302
    forged = site.get("/connexion/retour?code=faux&state=" + "x" * 43)
    assert forged.status_code == 401 and "n'a pas abouti" in _text(forged.text)
    assert site.get("/g/bretagne-2021/").status_code == 401


def test_the_demo_login_can_never_stand_beside_proconnect(site):
    settings = site.app.state.settings
    with pytest.raises(ValueError, match="démonstration"):
        create_app(WebSettings(settings.engine, demo_login=True, proconnect=settings.proconnect))
    assert site.post("/connexion", data={"email": COORDINATOR}).status_code == 403


def test_proconnect_comes_from_the_environment_or_the_guichets_and_its_secret_from_the_environment():
    from types import SimpleNamespace

    from workflow.errors import InvalidInput

    def guichet(url, client):
        return SimpleNamespace(config=SimpleNamespace(web=SimpleNamespace(
            proconnect_url=url, proconnect_client_id=client)))

    assert configured({}, [guichet(None, None)]) is None
    found = configured({"COMITE_PROCONNECT_SECRET": "s"}, [guichet("https://pc.example.org/d", "c")])
    assert found == ProConnect("https://pc.example.org/d", "c", "s")
    with pytest.raises(InvalidInput, match="COMITE_PROCONNECT_SECRET"):
        configured({}, [guichet("https://pc.example.org/d", "c")])
    with pytest.raises(InvalidInput, match="différents"):
        configured({"COMITE_PROCONNECT_SECRET": "s"}, [guichet("https://a.example.org/d", "c"),
                                                       guichet("https://b.example.org/d", "c")])
    env = {"COMITE_PROCONNECT_URL": "https://e.example.org/d", "COMITE_PROCONNECT_CLIENT_ID": "e",
           "COMITE_PROCONNECT_SECRET": "s"}
    assert configured(env, [guichet("https://a.example.org/d", "c")]).client_id == "e"
