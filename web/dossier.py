"""A dossier's page and its actions: each event this person may take now is a small form.

The page asks the rules (workflow.events.choices) which events the dossier's state offers and
what stops this person now; a form posts to the event's service, in one unit of work, with the
version the page was read at. A refusal, bad input or a conflict shows the page again with the
message on its form and what was typed kept; nothing is written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from states.lifecycle import BY_EVENT, STATE_LABELS
from web.access import dossier_of
from web.app import checked_form, field_errors, page, reads, redirect, status_of, unit_of_work

router = APIRouter()


def _page(request: Request, db: Any, reference: str, status: int = 200,
          failed: dict[str, Any] | None = None) -> Response:
    from notifications.outbox import STATUS_LABELS
    from workflow import events, views

    loaded, found, actor = dossier_of(request, db, reference)
    document = views.dossier_document(db, loaded, found)
    assessed = views.assessment(loaded, found)
    offered = events.choices(db, loaded, found, actor, request.app.state.settings.clock(),
                             eligibility=tuple(assessed["eligibility"]))
    return page(request, "dossier.html.j2", status, guichet=loaded.row, actor=actor,
                dossier=document, assessment=assessed,
                states=STATE_LABELS, choices=offered, failed=failed or {},
                messages=[{**m, "label": STATUS_LABELS[m["status"]]} for m in views.outbox(
                    db, loaded, reference=document["reference"], recipient=document["owner"])])


@router.get("/g/{guichet}/dossiers/{reference}", response_class=HTMLResponse)
def dossier(request: Request, guichet: str, reference: str) -> Response:
    db = reads(request, guichet)
    return _page(request, db, reference)


async def _upload(request: Request) -> tuple[Any, str] | None:
    """The JSON file posted with a revised form or a report, read as the command line reads one."""
    from starlette.datastructures import UploadFile

    from workflow.forms import MAX_FILE, decoded, parse_json, too_large

    sent = (await request.form()).get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return None
    try:
        raw = await sent.read(MAX_FILE + 1)
    finally:
        await sent.close()
    if len(raw) > MAX_FILE:
        raise too_large(sent.filename)
    return parse_json(decoded(raw, sent.filename), sent.filename), sent.filename


def _fire(request: Request, guichet: str, reference: str, event: str, form: dict[str, str],
          upload: tuple[Any, str] | None, email: str) -> Any:
    """The event's service in one unit of work, with what the form says."""
    from workflow import events
    from workflow.dossiers import Request as EventRequest
    from workflow.errors import InvalidInput

    rule = BY_EVENT[event]
    arguments = events.arguments(rule, form, field=lambda name: name)
    if "file" in rule.needs:
        arguments["data"], arguments["file"] = upload if upload else (None, None)
    try:
        version = int(form.get("version", ""))
    except ValueError:
        raise InvalidInput("version lue absente : recharger la page", field="version") from None
    asked = EventRequest(reference=reference, actor=email, now=request.app.state.settings.clock(),
                         reason=form.get("reason", "").strip() or None, expected_version=version)
    with unit_of_work(request, guichet, write=True) as uow:
        done = getattr(events, event)(uow, asked, **arguments)
        uow.commit()
    return done


@router.post("/g/{guichet}/dossiers/{reference}/evenements/{event}")
async def fire(request: Request, guichet: str, reference: str, event: str) -> Response:
    from states.refusal import EventRefused
    from workflow.errors import ComiteError, Conflict, said

    form = await checked_form(request)
    if event not in BY_EVENT:
        raise HTTPException(404)
    with unit_of_work(request, guichet) as uow:
        _, _, actor = dossier_of(request, uow.session, reference)  # else 404, nothing tried
    try:
        done = _fire(request, guichet, reference, event, form, await _upload(request), actor.email)
    except (ComiteError, EventRefused) as error:
        failed = {"event": event, "said": said(error), "values": form,
                  "field": next(iter(field_errors(error)), None),
                  "conflict": isinstance(error, Conflict)}
        with unit_of_work(request, guichet) as uow:  # the dossier as it is now
            return _page(request, uow.session, reference, status_of(error), failed)
    request.session["flash"] = (f"{done.reference} : {BY_EVENT[event].label}, le dossier est "
                                f"maintenant « {STATE_LABELS[done.state]} ».")
    return redirect(f"/g/{guichet}/dossiers/{done.reference}")


@router.post("/g/{guichet}/dossiers/{reference}/liens")
async def revoke_links(request: Request, guichet: str, reference: str) -> Response:
    """A coordinator revokes every link sent to the dossier's owner (workflow.links.revoke)."""
    from workflow import links

    form = await checked_form(request)
    with unit_of_work(request, guichet) as uow:
        _, _, actor = dossier_of(request, uow.session, reference)  # else 404, nothing tried
    with unit_of_work(request, guichet, write=True) as uow:
        done = links.revoke(uow, reference, actor.email, request.app.state.settings.clock(),
                            form.get("reason", "").strip() or None)
        uow.commit()
    request.session["flash"] = (f"{done.reference} : les liens envoyés au porteur ne l'ouvrent "
                                "plus ; il peut en demander un nouveau.")
    return redirect(f"/g/{guichet}/dossiers/{done.reference}")
