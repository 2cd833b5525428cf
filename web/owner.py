"""The owners' pages, reached by the link in every email to them: no account, no password.

``/lien/TOKEN`` checks the link (workflow.links) and keeps it in this browser's session for its
dossier; every owner page checks it again (a revoked or expired link stops at once). Each
action is the event's own service, with the owner's address as the actor, in one unit of work
whose channel is the web, exactly as the command line does it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web.app import checked_form, field_errors, page, reads, redirect, status_of, unit_of_work
from workflow.forms import KIND_LABELS, MEASURES, REPORT_STATUS_LABELS, STAGE_LABELS

router = APIRouter()
KEPT_LINKS = 8  # the links one browser keeps (the session cookie stays small)


def _now(request: Request) -> Any:
    return request.app.state.settings.clock()


@router.get("/lien/{token}")
def open_link(request: Request, token: str) -> Response:
    from workflow import links

    db = reads(request)
    opened = links.opened(db, token, _now(request))
    kept = {k: v for k, v in request.session.get("liens", {}).items()
            if k != opened.dossier.reference}
    kept[opened.dossier.reference] = token
    request.session["liens"] = dict(list(kept.items())[-KEPT_LINKS:])
    return redirect(f"/g/{opened.loaded.id}/porteur/{opened.dossier.reference}")


def _opened(request: Request, db: Any, guichet: str, reference: str) -> Any:
    """The dossier this browser holds a valid link for; else LinkRefused (a French page)."""
    from workflow import context, links

    given = request.session.get("liens", {}).get(context.normal_reference(reference))
    if not given:
        raise links.LinkRefused("ce navigateur n'a pas de lien pour ce dossier : ouvrez le lien "
                                "de votre dernier courriel, ou demandez-en un nouveau")
    opened = links.opened(db, given, _now(request))
    if opened.loaded.id != guichet:
        raise links.LinkRefused("ce lien ne mène pas à un dossier de ce guichet")
    return opened


def _owner_page(request: Request, db: Any, opened: Any, name: str = "owner.html.j2",
                status: int = 200, **extra: Any) -> HTMLResponse:
    from workflow import owner

    return page(request, name, status, guichet=opened.loaded.row, version=opened.dossier.version,
                view=owner.view(db, opened.loaded, opened.dossier, _now(request)),
                statuses=REPORT_STATUS_LABELS, stages=STAGE_LABELS, kinds=KIND_LABELS, measures=MEASURES,
                **extra)


@router.get("/g/{guichet}/porteur/{reference}", response_class=HTMLResponse)
def owner_page(request: Request, guichet: str, reference: str) -> Response:
    db = reads(request, guichet)
    return _owner_page(request, db, _opened(request, db, guichet, reference))


@router.get("/g/{guichet}/porteur/{reference}/retrait", response_class=HTMLResponse)
def withdraw_page(request: Request, guichet: str, reference: str) -> Response:
    db = reads(request, guichet)
    return _owner_page(request, db, _opened(request, db, guichet, reference),
                       "owner_withdraw.html.j2", values={}, errors={})


@router.get("/g/{guichet}/porteur/{reference}/rapport", response_class=HTMLResponse)
def report_page(request: Request, guichet: str, reference: str) -> Response:
    db = reads(request, guichet)
    return _owner_page(request, db, _opened(request, db, guichet, reference),
                       "owner_report.html.j2", values={}, errors={}, rows=2)


@router.get("/g/{guichet}/porteur/{reference}/revision", response_class=HTMLResponse)
def revision_page(request: Request, guichet: str, reference: str) -> Response:
    db = reads(request, guichet)
    opened = _opened(request, db, guichet, reference)
    return _owner_page(request, db, opened, "owner_revision.html.j2",
                       values=_flat(_in_euros(opened.dossier.form)), errors={},
                       rows=max(len(opened.dossier.form.get("members", [])) + 1, 2))


def _in_euros(form: dict[str, Any]) -> dict[str, Any]:
    from workflow.views import in_euros

    return in_euros(form)  # type: ignore[no-any-return]


def _flat(document: Any, prefix: str = "") -> dict[str, str]:
    """A JSON document as the names of a form's fields (``applicant.siren``, ``members[0].name``)."""
    flat: dict[str, str] = {}
    if isinstance(document, dict):
        for key, value in document.items():
            flat.update(_flat(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            flat.update(_flat(value if isinstance(value, dict) else {"name": value},
                              f"{prefix}[{index}]"))
    elif document is not None:
        flat[prefix] = "true" if document is True else str(document)
    return flat


def _rows(form: dict[str, str], prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """The repeated rows of a form (``companies[0].name``…) that hold anything, in order."""
    found: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        if key.startswith(f"{prefix}[") and "]." in key:
            index, name = key[len(prefix) + 1:].split("].", 1)
            if index.isdigit() and name in names and value.strip():
                found.setdefault(int(index), {})[name] = value.strip()
    return [found[i] for i in sorted(found)]


def _number(text: str | None) -> Any:
    """A whole number as typed; anything else is passed on for the form's own message."""
    text = (text or "").strip().replace(" ", "")
    return int(text) if text.isdigit() else (text or None)


def _report_data(form: dict[str, str]) -> dict[str, Any]:
    return {"period": form.get("period", ""), "progress": form.get("progress", ""),
            "percent_done": _number(form.get("percent_done")),
            "end_date": form.get("end_date", ""), "status": form.get("status", ""),
            "companies": _rows(form, "companies", ("name", "siren", "department"))}


def dossier_data(form: dict[str, str]) -> dict[str, Any]:
    def part(prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
        return {name: form.get(f"{prefix}.{name}", "") for name in names}

    applicant = part("applicant", ("name", "kind", "siren", "department"))
    population = _number(form.get("applicant.population"))
    if population is not None:
        applicant["population"] = population
    return {"applicant": applicant,
            "contact": part("contact", ("last_name", "first_name", "function", "address",
                                        "email", "phone")),
            **{name: form.get(name, "") for name in (
                "measure", "title", "presentation", "stage", "total_cost_eur", "requested_eur",
                "end_date", "signatory", "signed_on")},
            "members": _rows(form, "members", ("name", "siren")),
            "commitment": form.get("commitment") == "true"}


def _act(request: Request, guichet: str, opened: Any, event: str, form: dict[str, str],
         **arguments: Any) -> Any:
    """The event's service for the owner, in one unit of work on the web channel."""
    from workflow import events
    from workflow.dossiers import Request as EventRequest
    from workflow.errors import InvalidInput

    try:
        version = int(form.get("version", ""))
    except ValueError:
        raise InvalidInput("version lue absente : recharger la page", field="version") from None
    asked = EventRequest(reference=opened.dossier.reference, actor=opened.owner,
                         now=_now(request), reason=form.get("reason", "").strip() or None,
                         expected_version=version)
    with unit_of_work(request, guichet, write=True) as uow:
        done = getattr(events, event)(uow, asked, **arguments)
        uow.commit()
    return done


async def _post(request: Request, guichet: str, reference: str, event: str, name: str,
                data: Any = None) -> Response:
    from states.refusal import EventRefused
    from workflow.errors import ComiteError
    from workflow.french import period_fr
    from workflow.owner import refusal_words

    form = await checked_form(request)
    with unit_of_work(request, guichet) as uow:
        opened = _opened(request, uow.session, guichet, reference)
    rows = max(len([k for k in form if k.endswith("].name")]), 1)
    if "add_row" in form:  # one more row of companies or members, nothing sent
        with unit_of_work(request, guichet) as uow:
            return _owner_page(request, uow.session, opened, name, values=form, errors={},
                               rows=rows + 1)
    arguments = {} if data is None else {"data": data(form), "file": None}
    try:
        done = _act(request, guichet, opened, event, form, **arguments)
    except (ComiteError, EventRefused) as error:
        errors = field_errors(error)
        with unit_of_work(request, guichet) as uow:  # the dossier as it is now, what was typed
            opened = _opened(request, uow.session, guichet, reference)
            said = refusal_words(error, opened.dossier.state)
            return _owner_page(request, uow.session, opened, name, status_of(error),
                               values=form, errors=errors, said=said, rows=rows)
    told = f"un accusé de réception part à {done.owner_email}"
    if event == "withdraw":
        request.session["flash"] = f"Votre dossier est retiré ; {told}."
    elif event == "submit_report":  # its period checked by the event: 2021-Q3
        request.session["flash"] = (f"Votre rapport du {period_fr(form['period'])} est envoyé : "
                                    f"merci ; {told}.")
    else:
        request.session["flash"] = (f"Votre dossier révisé est déposé (révision {done.revision}) "
                                    f"; {told}.")
    return redirect(f"/g/{guichet}/porteur/{done.reference}")


@router.post("/g/{guichet}/porteur/{reference}/retrait")
async def withdraw(request: Request, guichet: str, reference: str) -> Response:
    return await _post(request, guichet, reference, "withdraw", "owner_withdraw.html.j2")


@router.post("/g/{guichet}/porteur/{reference}/rapport")
async def report(request: Request, guichet: str, reference: str) -> Response:
    return await _post(request, guichet, reference, "submit_report", "owner_report.html.j2",
                       _report_data)


@router.post("/g/{guichet}/porteur/{reference}/revision")
async def revision(request: Request, guichet: str, reference: str) -> Response:
    return await _post(request, guichet, reference, "resubmit", "owner_revision.html.j2",
                       dossier_data)


@router.get("/lien", response_class=HTMLResponse)
def ask_link(request: Request) -> Response:
    return page(request, "link_request.html.j2", title="Recevoir un nouveau lien", sent=False,
                values={}, errors={})


@router.post("/lien", response_class=HTMLResponse)
async def send_link(request: Request) -> Response:
    from workflow import links
    from workflow.errors import InvalidInput

    form = await checked_form(request)
    try:
        with unit_of_work(request, write=True) as uow:
            links.send_fresh(uow, form.get("email", ""), _now(request))
            uow.commit()
    except InvalidInput as error:
        return page(request, "link_request.html.j2", 422, title="Recevoir un nouveau lien",
                    sent=False, values=form, errors=error.errors)
    # the same words whatever was typed: nothing tells which addresses own a dossier
    return page(request, "link_request.html.j2", title="Recevoir un nouveau lien", sent=True,
                values={}, errors={})
