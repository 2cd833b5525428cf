"""The web app: an adapter over the same services as the command line, pages in the DSFR.

Every request opens its unit of work scoped to the guichet its URL names (``/g/{guichet}/…``);
who the person is comes from the signed session cookie; what they may see is decided by the same
rules as everything else (states.guards). No business rule lives here or in a template.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from states.refusal import EventRefused
from workflow.clock import SystemClock
from workflow.errors import ComiteError, NotFound, exit_code, said

HERE = Path(__file__).parent
log = logging.getLogger("comite.web")
SESSION_HOURS = 12

# No inline script or style, no framing; images may be data: URIs (the DSFR's CSS uses them).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'"),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
_SECURITY_RAW = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


@dataclass
class WebSettings:
    """What the web app needs: the base, a secret for its cookies, how people log in."""

    engine: Engine
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    demo_login: bool = False  # the demo's login page listing its fictitious staff
    brand: bool = True  # the State's brand block (Marianne): State services only
    secure_cookie: bool = False  # Secure cookies: on unless served on the loopback
    clock: Callable[[], datetime] = field(default_factory=lambda: SystemClock().now)
    proconnect: Any = None  # web.proconnect.ProConnect: how civil servants log in


def create_app(settings: WebSettings) -> FastAPI:
    from web import board, dossier, filing, jetons, owner, pages, proconnect, rapports
    from web.api import create_api
    from workflow.links import LinkRefused

    if settings.demo_login and settings.proconnect is not None:
        raise ValueError("la connexion de démonstration ne peut pas coexister avec ProConnect")
    app = FastAPI(title="comite", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.proconnect = (proconnect.client(settings.proconnect)
                            if settings.proconnect is not None else None)
    app.state.templates = templates(settings)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret, session_cookie="comite",
                       max_age=SESSION_HOURS * 3600, same_site="lax",
                       https_only=settings.secure_cookie)
    app.add_middleware(RequestIdAndHeaders)
    app.add_middleware(ClosesReads)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/api/v1", create_api(settings, app.state.templates))
    include_flat(app, *(area.router for area in (pages, proconnect, dossier, board, rapports,
                                                   owner, filing, jetons)))
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ComiteError, _refusal)  # type: ignore[arg-type]
    app.add_exception_handler(LinkRefused, _link_refused)  # type: ignore[arg-type]
    app.add_exception_handler(EventRefused, _refusal)
    app.add_exception_handler(Exception, _internal)
    return app


def include_flat(app: FastAPI, *routers: APIRouter) -> None:
    """The routers' routes, in order, as the app's own: one flat table, matched once.

    ``include_router`` (FastAPI ≥ 0.137) keeps each router as a node that every request walks
    through, and the chosen node matches its route a second time; the routes themselves are
    complete objects (their dependencies solved where declared), and none of these routers
    carries a prefix, tags or dependencies to combine."""
    for router in routers:
        if router.prefix or router.dependencies or router.tags:
            raise ValueError("a router with a prefix, tags or dependencies needs include_router")
        app.router.routes.extend(router.routes)


def templates(settings: WebSettings) -> Jinja2Templates:
    """The pages' templates; the documents they show carry amounts and days as JSON does
    (``"36000.00"``, ``"2021-06-22"``), shown as people read them."""
    from datetime import date

    from states.lifecycle import STAFF_HAPPENED
    from states.money import eur_fr, parse_eur
    from workflow.forms import KIND_LABELS, REPORT_STATUS_LABELS, STAGE_LABELS
    from workflow.french import FILTERS, percent_fr, short_date_fr

    found = Jinja2Templates(directory=HERE / "templates")
    # the templates are *.html.j2: Starlette's default would not escape them
    found.env.autoescape = True
    found.env.auto_reload = False  # compiled once per process: no file checked at each page
    found.env.filters.update(FILTERS)
    found.env.filters["euros"] = lambda text: eur_fr(parse_eur(text))
    found.env.filters["cents"] = eur_fr
    found.env.filters["percent"] = percent_fr
    # the form's coded answers (epci, implementation, on_track) and the history's events
    # (start_instruction) as the pages say them
    for name, labels in (("kind_fr", KIND_LABELS), ("stage_fr", STAGE_LABELS),
                         ("report_status_fr", REPORT_STATUS_LABELS),
                         ("event_fr", STAFF_HAPPENED)):
        found.env.filters[name] = lambda code, labels=labels: labels.get(code, code)
    found.env.filters["day_fr"] = lambda text: short_date_fr(date.fromisoformat(text))
    # an instant as the documents give it (already in the guichet's time zone, with its offset)
    found.env.filters["moment"] = lambda text: datetime.fromisoformat(text).strftime(
        "%d/%m/%Y %H:%M")
    found.env.filters["code_spans"] = code_spans
    found.env.globals["brand"] = settings.brand
    return found


def code_spans(text: str) -> Any:
    """The API's descriptions as their OpenAPI schema writes them (Markdown): escaped, each
    `span` between backticks shown as code, nothing else interpreted."""
    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


class RequestIdAndHeaders:
    """Every answer gets a request id (the error pages show it, the log prints it) and the
    security headers, unless its route set a narrower policy. A plain ASGI middleware: Starlette's
    BaseHTTPMiddleware would cost a task and a stream per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(6)
        scope.setdefault("state", {})["request_id"] = request_id
        declared = next((value for name, value in scope["headers"] if name == b"content-length"),
                        b"")
        too_large = declared.isdigit() and int(declared) > MAX_BODY
        seen = 0

        async def bounded() -> Any:
            """The body, up to MAX_BODY: past it, a 413 the routes' handlers answer in French
            (the site's page, the API's JSON), nothing read further."""
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if too_large or seen > MAX_BODY:
                    raise StarletteHTTPException(413, TOO_LARGE)
            return message

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message["headers"] = list(message.get("headers", ()))
                given = {name.lower() for name, _ in headers}
                # a route may narrow its own policy
                headers += [pair for pair in _SECURITY_RAW if pair[0] not in given]
                if b"x-request-id" not in given:  # an error page names it already
                    headers.append((b"x-request-id", request_id.encode()))
            await send(message)

        await self.app(scope, bounded, with_headers)


class ClosesReads:
    """Closes the request's read-only unit of work (`reads`) once the answer is sent, whatever
    happened. A dependency that yields would do it too, at the price of an exit stack and a
    shielded cancel scope per request: more than a dossier page's own first read."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope["comite_closes_reads"] = True
        try:
            await self.app(scope, receive, send)
        finally:
            opened = scope.get("state", {}).pop(_READS, None)
            if opened is not None:
                await _close(opened)


async def _close(opened: Any) -> None:
    """SQLite's rollback is a call into the library, made on the event loop; a server's is a
    round trip, made in the thread pool so that it never holds the loop."""
    from starlette.concurrency import run_in_threadpool

    if opened.engine.dialect.name == "sqlite":
        opened.__exit__(None, None, None)
    else:
        await run_in_threadpool(opened.__exit__, None, None, None)


_READS = "comite_reads"


def reads(request: Request, guichet: str | None = None, *, channel: str = "web") -> Any:
    """The request's read-only unit of work, scoped to ``guichet``, opened at its first use and
    closed by `ClosesReads`. Opening it sends nothing to the database (its connection is taken by
    the first query, in the route's thread)."""
    from workflow.db import UnitOfWork

    state = request.scope.setdefault("state", {})
    if _READS not in state:
        if not request.scope.get("comite_closes_reads"):
            raise RuntimeError("reads() needs the ClosesReads middleware")
        state[_READS] = UnitOfWork(request.app.state.settings.engine, guichet=guichet,
                                   channel=channel).__enter__()
    elif state[_READS].guichet != guichet:
        raise RuntimeError("one request, one guichet to read")
    return state[_READS].session


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of ``name`` (web/templates), with the person and the CSRF token every form needs."""
    return request.app.state.templates.TemplateResponse(
        request, name, {"person": logged_in(request), "csrf": csrf_token(request),
                        "flash": request.session.pop("flash", None), **context},
        status_code=status)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token is the session's: otherwise 403, nothing done.

    A field holding a NUL (``%00``), which no base stores in a text, is bad input in that field
    on every engine, whatever the form (PostgreSQL would refuse it, SQLite would keep it)."""
    from workflow.errors import InvalidInput
    from workflow.forms import NUL_REFUSED

    form = await request.form()
    given, expected = form.get("csrf"), request.session.get("csrf")
    if not expected or not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise StarletteHTTPException(403, "jeton de formulaire absent ou périmé : recharger la "
                                          "page et recommencer")
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    for key, value in fields.items():
        if "\x00" in value or "\x00" in key:
            raise InvalidInput(f"le champ « {key.replace(chr(0), '')} » : {NUL_REFUSED}",
                               field=key)
    return fields


def field_errors(error: Exception) -> dict[str, str]:
    """Bad input's wrong fields as a form names them (a service may name one as the command
    line's option: --reason), each with its message; nothing for any other error."""
    from workflow.errors import InvalidInput

    if not isinstance(error, InvalidInput):
        return {}
    return {name.removeprefix("--"): said for name, said in error.errors.items()}


def unit_of_work(request: Request, guichet: str | None = None, *, write: bool = False) -> Any:
    from notifications.render import render
    from workflow.db import UnitOfWork

    return UnitOfWork(request.app.state.settings.engine, write=write,
                      render=render if write else None, guichet=guichet, channel="web")


MAX_BODY = 2_000_000  # the largest request a page sends: a revised form or a report, uploaded
TOO_LARGE = "ce que vous avez envoyé est trop volumineux : rien n'a été enregistré"
TITLES = {400: "Requête invalide", 401: "Connexion nécessaire", 403: "Accès refusé",
          404: "Page introuvable", 405: "Méthode non permise", 409: "Action refusée",
          413: "Envoi trop volumineux",
          422: "Saisie invalide", 500: "Erreur du service", 503: "Service indisponible"}


def _error_page(request: Request, status: int, said: str) -> HTMLResponse:
    request_id = getattr(request.state, "request_id", "-")
    answer = page(request, "error.html.j2", status, title=TITLES.get(status, "Erreur"),
                  said=said, request_id=request_id)
    # An unexpected error is answered outside the middlewares: the headers are set here too.
    answer.headers.update(SECURITY_HEADERS)
    answer.headers["X-Request-Id"] = request_id
    return answer


async def _http_error(request: Request, error: StarletteHTTPException) -> Any:
    if request.url.path.startswith("/api/"):  # a path the API's mount could not take (a
        from web.api import _http  # newline in it): the API's own JSON answer

        return await _http(request, error)
    said = {404: "cette page n'existe pas, ou vous n'y avez pas accès", 413: TOO_LARGE}.get(
        error.status_code, str(error.detail))
    return _error_page(request, error.status_code, said)


def status_of(error: Exception) -> int:
    """The HTTP status of what the services raise: bad input 422, a refusal 409 (exit 2, 1)."""
    return {1: 409, 2: 422}.get(exit_code(error), 409)


async def _link_refused(request: Request, error: Exception) -> HTMLResponse:
    """A link that does not open its dossier: why, and how to get a fresh one; nothing done."""
    return page(request, "link_refused.html.j2", 403, title="Lien refusé", said=said(error))


async def _refusal(request: Request, error: Exception) -> HTMLResponse:
    status = 404 if isinstance(error, NotFound) else status_of(error)
    return _error_page(request, status, said(error))


async def _internal(request: Request, error: Exception) -> HTMLResponse:
    request_id = getattr(request.state, "request_id", "-")
    log.exception("requête %s : %s", request_id, type(error).__name__)
    return _error_page(request, 500, "le service a rencontré un problème ; réessayer, et si cela "
                                     "persiste, transmettre ce numéro à l'équipe technique")


def log_in(request: Request, email: str) -> None:
    request.session.clear()
    request.session["email"] = email.strip().lower()
    request.session["since"] = request.app.state.settings.clock().isoformat()


def logged_in(request: Request) -> str | None:
    """Who is logged in; a login older than SESSION_HOURS is over, however active it was."""
    email, since = request.session.get("email"), request.session.get("since")
    if not email or not since:
        return None
    if request.app.state.settings.clock() - datetime.fromisoformat(since) > timedelta(
            hours=SESSION_HOURS):
        request.session.clear()
        return None
    return str(email)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def server(app: FastAPI, host: str, port: int) -> Any:
    """uvicorn for ``app``, run inside `comite serve`: the service's own SIGTERM handler stops it
    (uvicorn's would re-raise the signal once stopped, ending the process before a clean exit)."""
    import contextlib

    import uvicorn

    class Embedded(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Embedded(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                   access_log=False, proxy_headers=False))


def loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost")
