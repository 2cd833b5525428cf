"""Every route of the site, each part of its URL, its query and its form given values a clumsy or
hostile person types: whatever the page answers, never a server error (500). The routes are read
from the app itself, so a route added later is swept too."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from starlette.testclient import TestClient

from tests.helpers import COORDINATOR
from tests.web.test_pages import _token, login
from tests.web.test_pages import site as site  # noqa: F401  (the fixture)

HOSTILE = ["", "x", "-1", "0", "99999999999999999999", "-99999999999999999999", "2021-13-45",
           "0001-01-01", "9999-12-31", "0001-Q1", "1e400", "NaN", "<b>é</b>", "\u202e", "a" * 3000,
           "..", "%00", "\x00", "a\x00b"]
# What each part of a URL holds when it is not the one swept: something that exists.
PLAUSIBLE = {"guichet": "bretagne-2021", "reference": "BZH-2021-0001", "event": "accept",
             "day": "2021-06-22", "command": "close", "kind": "csv", "axis": "departement",
             "month": "2021-06", "message": "1", "token": "x", "token_id": "1"}
FIELDS = ["amount", "reason", "session", "date", "version", "new_day", "email", "name", "period",
          "percent_done", "end_date", "status", "decision-BZH-2021-0001", "amount-BZH-2021-0001"]
LEAVES = {"/deconnexion", "/connexion"}  # they end the login the sweep goes on with


def requests(app, plausible: dict[str, str],
             only: str = "") -> Iterator[tuple[str, str, dict[str, str]]]:
    """(method, url, form) for every route (whose path holds ``only``): each part of its path
    swept in turn, then its query and form fields."""
    for route in app.routes:
        methods, path = getattr(route, "methods", None), route.path
        if not methods or path in LEAVES or only not in path:
            continue
        for method in sorted(methods):
            parts = list(route.param_convertors)
            for swept in parts or [None]:
                for value in HOSTILE:
                    url = path.format(**{name: quote(value, safe="") if name == swept
                                         else plausible[name] for name in parts})
                    yield method, url, {}
            url = path.format(**{name: plausible[name] for name in parts})
            for value in HOSTILE:
                yield method, url, {name: value for name in FIELDS}


def swept(client: TestClient, plausible: dict[str, str],
          only: str = "") -> list[tuple[str, str, int]]:
    """What answered a server error, the person ``client`` logged in as sending everything."""
    token = _token(client, "/lien")  # a form every visitor gets
    broken, methods = [], set()
    for method, url, form in requests(client.app, plausible, only):
        methods.add(method)
        if method == "GET":
            answer = client.get(url, params=form)
        else:
            answer = client.post(url, data={"csrf": token, **form}, follow_redirects=False)
        if answer.status_code >= 500:
            broken.append((method, url[:120], answer.status_code))
    assert methods == {"GET", "POST"}
    return broken


def test_no_value_typed_in_a_url_or_a_form_makes_a_server_error(site):  # noqa: F811
    client, _ = site
    coordinator = TestClient(client.app, raise_server_exceptions=False)
    login(coordinator, COORDINATOR)
    assert swept(coordinator, PLAUSIBLE) == []


def test_nor_for_an_owner_holding_the_link_of_a_dossier_in_follow_up(site):  # noqa: F811
    from sqlmodel import select

    from workflow import links
    from workflow.db import UnitOfWork
    from workflow.models import Dossier

    client, _ = site
    settings = client.app.state.settings
    with UnitOfWork(settings.engine) as uow:  # the owner's link, as their last email gives it
        dossier = uow.session.exec(select(Dossier).where(Dossier.state == "follow_up")).first()
        link = links.token(uow.session, dossier, settings.clock())
    owner = TestClient(client.app, raise_server_exceptions=False)
    assert owner.get(f"/lien/{link}").status_code == 200
    assert swept(owner, {**PLAUSIBLE, "guichet": dossier.guichet_id,
                         "reference": dossier.reference}, only="/porteur/") == []
