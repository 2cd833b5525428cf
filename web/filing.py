"""The guichet's public filing page: the application form (annex 1), a receipt with the
reference, and the email with the link (workflow.filing). A field people never see keeps robots
out, the body is bounded, and one address files a few dossiers an hour at most."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from web.app import checked_form, field_errors, page, reads, redirect, status_of, unit_of_work
from web.owner import dossier_data
from workflow.forms import KIND_LABELS, MEASURES, STAGE_LABELS

router = APIRouter()
MAX_FILING = 64_000  # an application form is a few kilobytes
HONEYPOT = "site_web"  # hidden from people (and from assistive technologies): robots fill it


def _form_page(request: Request, db: Any, status: int = 200, **extra: Any) -> HTMLResponse:
    from workflow import context, filing

    try:
        loaded = context.guichet(db)
    except Exception:  # an unknown guichet is a page that does not exist
        raise HTTPException(404) from None
    extra.setdefault("values", {})
    extra.setdefault("errors", {})
    extra.setdefault("rows", 2)
    return page(request, "filing.html.j2", status, guichet=loaded.row,
                window=filing.window(loaded, request.app.state.settings.clock()),
                kinds=KIND_LABELS, stages=STAGE_LABELS, measures=MEASURES, honeypot=HONEYPOT,
                title="Déposer un dossier", **extra)


@router.get("/g/{guichet}/deposer", response_class=HTMLResponse)
def filing_page(request: Request, guichet: str) -> Response:
    db = reads(request, guichet)
    return _form_page(request, db)


@router.post("/g/{guichet}/deposer")
async def file(request: Request, guichet: str) -> Response:
    from workflow import filing
    from workflow.errors import ComiteError, said

    # Browsers say the size of a form they post: a larger one is not read at all (without the
    # header, the site's own bound, web.app.MAX_BODY, and the form parser's hold).
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILING:
        raise HTTPException(413)
    form = await checked_form(request)
    if form.get(HONEYPOT):  # a robot: nothing filed, nothing said that helps it
        raise HTTPException(400, "formulaire refusé")
    rows = max(len([k for k in form if k.endswith("].name")]), 1)
    if "add_row" in form:
        with unit_of_work(request, guichet) as uow:
            return _form_page(request, uow.session, values=form, rows=rows + 1)
    try:
        with unit_of_work(request, guichet, write=True) as uow:
            done = filing.file_online(uow, data=dossier_data(form),
                                      now=request.app.state.settings.clock())
            uow.commit()
    except ComiteError as error:
        with unit_of_work(request, guichet) as uow:
            return _form_page(request, uow.session, status_of(error), values=form, rows=rows,
                              errors=field_errors(error),
                              said=said(error))
    request.session["filed"] = {"reference": done.reference, "email": done.owner_email}
    return redirect(f"/g/{guichet}/deposer/recu")


@router.get("/g/{guichet}/deposer/recu", response_class=HTMLResponse)
def receipt(request: Request, guichet: str) -> Response:
    from workflow import context

    db = reads(request, guichet)
    filed = request.session.get("filed")
    if not filed:
        return redirect(f"/g/{guichet}/deposer")
    return page(request, "filing_receipt.html.j2", guichet=context.guichet(db).row,
                filed=filed, title="Dossier déposé")
