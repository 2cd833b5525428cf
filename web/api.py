"""L'API HTTP de comite (`/api/v1`) : les documents JSON de la ligne de commande, par HTTP, avec
un jeton personnel (`comite token create`), les mêmes règles et les mêmes messages.

Montants en chaînes d'euros (`"36000.00"`), instants avec leur décalage. Une lecture d'un dossier
donne son `ETag` (sa version) ; un événement porte la version lue dans `If-Match` : si le dossier
a changé entre-temps, 412 et la version actuelle. Un événement refusé par les règles : 409, ses
raisons et les événements possibles maintenant ; une saisie invalide : 422, le chemin du champ ;
un dossier d'un autre territoire : 404 ; sans jeton valable : 401.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from notifications.outbox import STATUS_LABELS
from states.lifecycle import DossierState
from states.refusal import EventRefused
from web.access import member_of
from web.app import ClosesReads, field_errors, include_flat, reads
from workflow.errors import ComiteError, Conflict, InvalidInput, NotFound, message, unhinted

LOG = logging.getLogger("comite.api")
MAX_PAGE = 500
# the values the schema offers: the lifecycle's states, the outbox's statuses
Status = StrEnum("Status", {name: name for name in STATUS_LABELS})  # type: ignore[misc]


def create_api(settings: Any, templates: Any) -> FastAPI:
    api = FastAPI(
        title="API de comite", version="1", description=__doc__ or "",
        openapi_url="/openapi.json", docs_url=None, redoc_url=None,
        openapi_tags=[{"name": "guichets", "description": "Les guichets et leurs chiffres."},
                      {"name": "dossiers", "description": "Les dossiers et leurs événements."},
                      {"name": "sessions", "description": "Les sessions du comité."}])
    api.state.settings = settings
    api.state.templates = templates
    api.add_middleware(ClosesReads)  # already there when mounted in the site; on its own too
    include_flat(api, _router())

    @api.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Any:
        """The documentation page, written from the OpenAPI schema of these very routes."""
        from web.app import page

        return page(request, "api_docs.html.j2", schema=api.openapi())

    api.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    api.add_exception_handler(EventRefused, _refused)  # type: ignore[arg-type]
    api.add_exception_handler(ComiteError, _error)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, _internal)
    return api


def _json(status: int, document: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(document, status_code=status, headers=headers or None)


async def _http(request: Request, error: HTTPException) -> JSONResponse:
    said = {401: "jeton absent, inconnu, révoqué ou expiré (Authorization: Bearer JETON)",
            404: "introuvable, ou hors de ce que vous pouvez lire"}.get(
        error.status_code, str(error.detail))
    headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else {}
    return _json(error.status_code, {"erreur": said}, **headers)


async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """A parameter or a body FastAPI could not read: 422, each field named, in French."""
    from workflow.validation import field_path, french

    errors: dict[str, str] = {}
    for found in error.errors():
        errors.setdefault(field_path([p for p in found["loc"] if p not in ("query", "body",
                                                                            "path", "header")]),
                          french(found))
    first = next(iter(errors.items()), ("(document)", "requête invalide"))
    return _json(422, {"erreur": f"{first[0]} : {first[1]}", "champ": first[0],
                       "erreurs": errors})


# What an event takes, named as the body names it: the command line's option (--reason, --file)
# as the body's field (reason, document).
BODY_FIELDS = {"reason": "reason", "session": "session", "amount": "amount", "date": "date",
               "file": "document"}


def _said(text: str) -> str:
    """A message of the services as an API client reads it: an option of the command line it
    names (« (--reason) ») is the body's field (« (champ « reason ») »), a command is left out."""
    return unhinted(text, BODY_FIELDS)


async def _refused(request: Request, error: EventRefused) -> JSONResponse:
    return _json(409, {"erreur": _said(message(error)),
                       "raisons": [_said(reason) for reason in error.reasons],
                       "possibles": error.allowed})


async def _error(request: Request, error: ComiteError) -> JSONResponse:
    if isinstance(error, NotFound):
        return _json(404, {"erreur": _said(message(error))})
    if isinstance(error, InvalidInput):
        # a field the services name as its option (--session) is the body's field (session)
        return _json(422, {"erreur": _said(message(error).removeprefix("--")),
                           "champ": error.field.removeprefix("--") if error.field else None,
                           "erreurs": {name: _said(said)
                                       for name, said in field_errors(error).items()}})
    if isinstance(error, Conflict):
        current = error.current
        return _json(412, {"erreur": _said(message(error)), "version": current},
                     **({"ETag": f'"{current}"'} if current is not None else {}))
    return _json(409, {"erreur": _said(message(error))})


async def _internal(request: Request, error: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "-")
    LOG.error("requête %s : %s", request_id, type(error).__name__, exc_info=error)
    return _json(500, {"erreur": "erreur interne", "requete": request_id})


# Who asks ------------------------------------------------------------------------------------

def _uow(request: Request, guichet: str | None = None, *, write: bool = False) -> Any:
    from notifications.render import render
    from workflow.db import UnitOfWork

    return UnitOfWork(request.app.state.settings.engine, write=write,
                      render=render if write else None, guichet=guichet, channel="api")


def _now(request: Request) -> Any:
    return request.app.state.settings.clock()


def person(request: Request,
           authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> str:
    """The person whose token the request carries; else 401. The token is read in the request's
    read-only unit of work, the one its route reads in next (`_scoped`, `_unscoped`)."""
    from workflow import tokens

    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise HTTPException(401)
    now = _now(request)
    row = tokens.check(reads(request, request.path_params.get("guichet"), channel="api"),
                       presented.strip(), now)
    if row is None:
        raise HTTPException(401)
    email, token_id, stale = row.email, row.id, tokens.stale_use(row, now)
    if stale and token_id is not None:
        with _uow(request, write=True) as uow:
            tokens.touch(uow, token_id, now)
            uow.commit()
    return email


Person = Annotated[str, Depends(person)]
# The path's parameters, as the documentation describes them.
GuichetId = Annotated[str, Path(description="l'identifiant du guichet (bretagne-2021)")]
Reference = Annotated[str, Path(description="la référence du dossier (BZH-2021-0001)")]
EventName = Annotated[str, Path(description="l'événement (start_instruction, schedule…)")]
Day = Annotated[date, Path(description="la date de la session (AAAA-MM-JJ)")]


async def _scoped(request: Request, guichet: GuichetId) -> Any:
    """The request's read-only unit of work on the guichet of the path (`web.app.reads`)."""
    return reads(request, guichet, channel="api")


async def _unscoped(request: Request) -> Any:
    """The request's read-only unit of work on the base (a reference names its own guichet)."""
    return reads(request, channel="api")


Db = Annotated[Any, Depends(_scoped)]
Base = Annotated[Any, Depends(_unscoped)]


class Erreur(BaseModel):
    """What an error answers: the message, the field (422), the reasons and the events allowed
    now (409), the version now (412)."""

    erreur: str
    champ: str | None = None
    erreurs: dict[str, str] | None = None
    raisons: list[str] | None = None
    possibles: list[str] | None = None
    version: int | None = None
    requete: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"description": "le document demandé (celui que la ligne de commande imprime)"},
    401: {"model": Erreur, "description": "jeton absent, inconnu, révoqué ou expiré"},
    404: {"model": Erreur, "description": "introuvable, ou hors de votre territoire"},
    409: {"model": Erreur, "description": "refusé par les règles : pourquoi, et ce qui est "
                                          "possible maintenant"},
    412: {"model": Erreur, "description": "le dossier a changé depuis la version lue"},
    422: {"model": Erreur, "description": "saisie invalide : le champ et la raison"},
}


BODY = "corps de la requête"


class _DocumentRequest(Request):
    """A request whose JSON body reads as the command line reads a document
    (`workflow.forms.parse_json`): UTF-8, numbers with decimals as Decimal, no NaN, no half of a
    UTF-16 pair, and an error in French naming the line or the field."""

    async def json(self) -> Any:
        if not hasattr(self, "_document"):
            from workflow.forms import decoded, parse_json

            self._document = parse_json(decoded(await self.body(), BODY, what="le corps"), BODY)
        return self._document


def _says_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class _DocumentRoute(APIRoute):
    """An API route whose JSON body is read first, by `_DocumentRequest`: bad JSON is a 422
    naming where it is wrong, before FastAPI (whose own reading would answer in English)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def read_first(request: Request) -> Response:
            request = _DocumentRequest(request.scope, request.receive)
            if _says_json(request):
                await request.json()
            return await handler(request)

        return read_first


def _router() -> Any:  # noqa: C901  (one route per document of the command line)
    from fastapi import APIRouter

    from states.guards import may_read

    router = APIRouter(responses=ERRORS, route_class=_DocumentRoute)

    @router.get("/guichets", tags=["guichets"], summary="Les guichets où vous avez un rôle")
    def guichets(email: Person, db: Base) -> list[dict[str, Any]]:
        from workflow import context, views

        mine = {row.id for row, _ in context.roles_of(db, email)}
        return [g for g in views.guichet_list(db) if g["id"] in mine]

    @router.get("/guichets/{guichet}", tags=["guichets"],
                summary="Un guichet : réglages, équipe, départements, calendrier")
    def guichet(guichet: GuichetId, email: Person, db: Db) -> dict[str, Any]:
        from workflow import views

        member_of(db, email)
        return views.guichet(db)

    @router.get("/guichets/{guichet}/dossiers", tags=["dossiers"],
                summary="Les dossiers, filtrés, par pages (curseur `apres`)")
    def dossiers(guichet: GuichetId, email: Person, db: Db,
                 state: Annotated[DossierState | None, Query(description="l'état")] = None,
                 department: Annotated[str | None, Query(description="département")] = None,
                 measure: Annotated[str | None, Query(description="mesure (3a…)")] = None,
                 session: Annotated[date | None, Query(description="date de session")] = None,
                 text: Annotated[str | None, Query(
                     description="dans la référence, le demandeur ou le titre")] = None,
                 apres: Annotated[str | None, Query(
                     description="la dernière référence de la page d'avant")] = None,
                 limite: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100) -> dict[str, Any]:
        from workflow import views

        _, actor = member_of(db, email)
        allowed, own = views.listed_department(actor, department)
        if not allowed:
            return {"dossiers": [], "suivant": None}
        rows = views.dossier_list(db, state=state.value if state else None, department=own, measure=measure,
                                  session_day=session, text=text, after=apres, limit=limite)
        return {"dossiers": rows,
                "suivant": rows[-1]["reference"] if len(rows) == limite else None}

    @router.get("/dossiers/{reference}", tags=["dossiers"],
                summary="Un dossier et son historique ; ETag : sa version")
    def dossier(reference: Reference, email: Person, db: Base) -> JSONResponse:
        from workflow import context, views

        context.readable(db, reference, email)  # else 404
        document = views.dossier(db, reference)
        return JSONResponse(document, headers={"ETag": f'"{document["version"]}"'})

    @router.post("/guichets/{guichet}/dossiers", tags=["dossiers"], status_code=201,
                 summary="Déposer un dossier (le JSON de `dossier submit`)",
                 responses={201: {"description": "le dossier déposé, et son adresse"}})
    def submit(guichet: GuichetId, email: Person, request: Request,
               form: Annotated[dict[str, Any], Body(description="le formulaire (annexe 1)")],
               ) -> JSONResponse:
        from workflow import dossiers as filing
        from workflow import views

        with _uow(request, guichet, write=True) as uow:
            member_of(uow.session, email)
            done = filing.submit(uow, data=form, file=None, actor=email, now=_now(request))
            uow.commit()
        with _uow(request, guichet) as uow:
            document = views.dossier(uow.session, done.reference)
        return JSONResponse(document, status_code=201,
                            headers={"ETag": f'"{document["version"]}"',
                                     "Location": f"/api/v1/dossiers/{done.reference}"})

    @router.post("/dossiers/{reference}/events/{event}", tags=["dossiers"],
                 summary="Un événement du dossier, sur la version lue (If-Match)")
    def fire(reference: Reference, event: EventName, email: Person, request: Request,
             if_match: Annotated[str | None, Header(
                 description="la version lue (l'ETag du dossier)")] = None,
             fields: Annotated[dict[str, Any] | None, Body(description=(
                 "selon l'événement : session (AAAA-MM-JJ), amount (euros), reason, date, "
                 "document (le formulaire révisé ou le rapport)"))] = None) -> JSONResponse:
        from states.lifecycle import BY_EVENT
        from workflow import context, events, views
        from workflow.dossiers import Request as EventRequest

        rule = BY_EVENT.get(event)
        if rule is None:
            raise HTTPException(404)
        given = fields or {}
        takes = {BODY_FIELDS[need] for need in ("reason", *rule.needs)}
        for name in given:
            if name not in takes:  # a typo (« motif ») must not pass for a field left out
                raise InvalidInput(f"champ inconnu pour « {event} » (champs possibles : "
                                   f"{', '.join(sorted(takes))})", field=name)
        expected = _version(if_match)
        arguments = events.arguments(rule, {k: _text(v) for k, v in given.items()
                                            if k in ("session", "amount", "date")},
                                     field=lambda name: name)
        if "file" in rule.needs:
            arguments["data"], arguments["file"] = given.get("document"), None
        asked = EventRequest(reference=reference, actor=email, now=_now(request),
                             reason=_text(given.get("reason")) or None,
                             expected_version=expected)
        try:
            # one transaction: who may read it (else 404, nothing tried), the event, the
            # document as it is now
            with _uow(request, write=True) as uow:
                context.readable(uow.session, reference, email)
                getattr(events, event)(uow, asked, **arguments)
                document = views.dossier(uow.session, reference)
                uow.commit()
        except Conflict as stale:
            if stale.current is None:  # lost a race: the version it lost to
                with _uow(request) as uow:
                    stale.current = views.dossier(uow.session, reference)["version"]
            raise
        return JSONResponse(document, headers={"ETag": f'"{document["version"]}"'})

    @router.get("/guichets/{guichet}/sessions", tags=["sessions"], summary="Les sessions")
    def sessions(guichet: GuichetId, email: Person, db: Db) -> list[dict[str, Any]]:
        from workflow import views

        loaded, _ = member_of(db, email)
        return views.session_list(db, loaded)

    @router.get("/guichets/{guichet}/sessions/{day}", tags=["sessions"],
                summary="Une session et son ordre du jour")
    def session(guichet: GuichetId, day: Day, email: Person, db: Db) -> dict[str, Any]:
        from workflow import views

        _, actor = member_of(db, email)
        shown = views.session_show(db, day)
        return {**shown, "agenda": [line for line in shown["agenda"]
                                    if may_read(actor, line["department"])]}

    @router.get("/guichets/{guichet}/budget", tags=["guichets"], summary="L'enveloppe")
    def budget(guichet: GuichetId, email: Person, db: Db) -> dict[str, Any]:
        from workflow import views

        loaded, _ = member_of(db, email)
        return views.budget(db, loaded)

    @router.get("/guichets/{guichet}/outbox", tags=["guichets"],
                summary="Les courriels du guichet et leur état")
    def outbox(guichet: GuichetId, email: Person, db: Db,
               status: Annotated[Status | None, Query(description="l'état d'envoi")] = None,
               ) -> list[dict[str, Any]]:
        from states.guards import territory
        from workflow import views

        loaded, actor = member_of(db, email)
        return views.outbox(db, loaded, status.value if status else None,
                            department=territory(actor))

    @router.get("/guichets/{guichet}/stats", tags=["guichets"], summary="Les statistiques")
    def stats(guichet: GuichetId, email: Person, db: Db) -> dict[str, Any]:
        from reports.stats import compute

        member_of(db, email)
        return compute(db)

    return router


def _version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput(f"If-Match « {if_match} » n'est pas une version lue (un ETag)",
                           field="If-Match")
    return int(text)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
