"""Who is asking, in which guichet: what every staff route starts with.

A route reads through `web.app.reads(request, guichet)`, called in its body rather than declared
as a FastAPI dependency: the dependency machinery costs about 0.1 ms a request, measured on a
route that does nothing else: as much as the dossier page's first read."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException

from states.guards import Actor
from web.app import logged_in


def person(request: Request) -> str:
    email = logged_in(request)
    if not email:
        raise HTTPException(401, "connectez-vous pour accéder au guichet")
    return str(email)


def member(request: Request, db: Any) -> tuple[Any, Actor]:
    """The guichet of the URL and who the person is in it; anyone else: 404, nothing shown."""
    return member_of(db, person(request))


def member_of(db: Any, email: str) -> tuple[Any, Actor]:
    """The unit of work's guichet and who ``email`` is on its team; an unknown guichet or
    someone not on the team: 404 (the site's page, the API's JSON)."""
    from workflow import context
    from workflow.errors import InvalidInput

    try:
        loaded = context.guichet(db)
    except InvalidInput:  # an unknown guichet is a page that does not exist
        raise HTTPException(404) from None
    actor = context.staff_member(db, loaded, email)
    if actor is None:
        raise HTTPException(404)
    return loaded, actor


def dossier_of(request: Request, db: Any, reference: str) -> tuple[Any, Any, Actor]:
    """The dossier of the URL with its guichet and who asks (`context.readable`); else 404."""
    from workflow import context
    from workflow.errors import NotFound

    try:
        return context.readable(db, reference, person(request))
    except NotFound:
        raise HTTPException(404) from None
