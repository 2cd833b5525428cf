"""A member of staff's tokens for the HTTP API, on a page: listed with their last use, made
(the secret shown once), revoked (workflow.tokens, as `comite token …`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web.access import person
from web.app import checked_form, page, reads, redirect, status_of, unit_of_work

router = APIRouter()


@router.get("/jetons", response_class=HTMLResponse)
def tokens_page(request: Request) -> Response:
    from workflow import tokens

    db = reads(request)
    return page(request, "jetons.html.j2", title="Vos jetons d'API",
                rows=tokens.listing(db, person(request)), made=None, values={}, errors={})


@router.post("/jetons", response_class=HTMLResponse)
async def make_token(request: Request) -> Response:
    from workflow import tokens
    from workflow.clock import parse_day
    from workflow.errors import InvalidInput

    form = await checked_form(request)
    email, now = person(request), request.app.state.settings.clock()
    try:
        until = parse_day(form.get("expires") or None, "expires") if form.get("expires") else None
        with unit_of_work(request, write=True) as uow:
            row, secret = tokens.create(uow, email=email, name=form.get("name", ""), now=now,
                                        expires_on=until)
            uow.commit()
    except InvalidInput as error:
        with unit_of_work(request) as uow:
            fields = {key.removeprefix("--"): said for key, said in error.errors.items()}
            return page(request, "jetons.html.j2", status_of(error), title="Vos jetons d'API",
                        rows=tokens.listing(uow.session, email), made=None, values=form,
                        errors=fields)
    with unit_of_work(request) as uow:
        answer = page(request, "jetons.html.j2", title="Vos jetons d'API",
                      rows=tokens.listing(uow.session, email),
                      made={"id": row.id, "name": row.name, "secret": secret},
                      values={}, errors={})
    answer.headers["Cache-Control"] = "no-store"  # the secret is shown this once
    return answer


@router.post("/jetons/{token_id}/revoquer")
async def revoke_token(request: Request, token_id: int) -> Response:
    from workflow import tokens

    await checked_form(request)
    with unit_of_work(request, write=True) as uow:
        row = tokens.revoke(uow, token_id=token_id, email=person(request),
                            now=request.app.state.settings.clock())
        uow.commit()
    request.session["flash"] = f"Le jeton « {row.name} » est révoqué : il ne sert plus."
    return redirect("/jetons")
