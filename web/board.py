"""Committee sessions: the list, a session's board, its commands and its minutes.

The board is the agenda as the coordinator decides it; its decisions go, in one form, to
workflow.sessions.decide, which applies them all or none in one unit of work. Convene, open,
close, move and cancel each ask for a confirmation first, then call their service.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from states.guards import territory
from states.lifecycle import BY_EVENT, STATE_LABELS
from states.sessions import SESSION_LABELS, SessionState, allowed_session_commands
from web.access import member
from web.app import checked_form, page, reads, redirect, status_of, unit_of_work
from workflow.sessions import DECISIONS

router = APIRouter()

COMMANDS = {
    "convene": ("Convoquer", "Figer l'ordre du jour et convoquer les membres du comité : chacun "
                "reçoit la convocation et l'invitation de calendrier."),
    "open": ("Ouvrir la séance", "Ouvrir la séance, le jour venu : le comité peut alors décider."),
    "close": ("Clore la séance", "Clore la séance : chaque dossier doit être décidé ou reporté. "
              "Les décisions sont alors envoyées aux porteurs et le procès-verbal est figé."),
    "move": ("Déplacer", "Déplacer la session à une autre date : ses dossiers la suivent, les "
             "porteurs et les membres sont prévenus."),
    "cancel": ("Annuler", "Annuler la session (son ordre du jour doit être vide) : les membres "
               "convoqués sont prévenus."),
}
# The minutes carry their own style sheet (the PDF is printed from the same page).
MINUTES_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
SERVICES = {"convene": "convene", "open": "open_session", "close": "close", "move": "move",
            "cancel": "cancel"}


def _day(text: str) -> date:
    from workflow.clock import parse_day

    day = parse_day(text, "date")
    assert day is not None
    return day


@router.get("/g/{guichet}/sessions", response_class=HTMLResponse)
def sessions(request: Request, guichet: str) -> Response:
    from workflow import views

    db = reads(request, guichet)
    loaded, actor = member(request, db)
    return page(request, "sessions.html.j2", guichet=loaded.row, actor=actor, rows=[
        {**s, "label": SESSION_LABELS[s["state"]]} for s in views.session_list(db, loaded)])


def _board(request: Request, db: Any, day: str, status: int = 200,
           failed: dict[str, Any] | None = None) -> Response:
    from workflow import views

    loaded, actor = member(request, db)
    document = views.board(db, _day(day), department=territory(actor), deciding=(
        actor, request.app.state.settings.clock()) if actor.role == "coordinator" else None)
    commands = allowed_session_commands(SessionState(document["state"]))
    return page(request, "board.html.j2", status, guichet=loaded.row, actor=actor, s=document,
                label=SESSION_LABELS[document["state"]], states=STATE_LABELS,
                decisions={e: BY_EVENT[e].label for e in DECISIONS},
                commands={c: COMMANDS[c][0] for c in commands} if actor.role == "coordinator"
                else {}, failed=failed or {}, deciding=document["state"] == "held"
                and actor.role == "coordinator", whole=territory(actor) is None)


@router.get("/g/{guichet}/sessions/{day}", response_class=HTMLResponse)
def session_board(request: Request, guichet: str, day: str) -> Response:
    db = reads(request, guichet)
    return _board(request, db, day)


def _lines(form: dict[str, str]) -> list[Any]:
    """The board's lines as posted, in the page's order: one per ``decision-REF`` field."""
    from workflow.sessions import Line

    lines = []
    for key in form:
        if not key.startswith("decision-"):
            continue
        ref = key.removeprefix("decision-")
        version = form.get(f"version-{ref}", "")
        lines.append(Line(ref, form[key], {
            name: form.get(f"{name}-{ref}", "") for name in ("amount", "reason", "session")},
            int(version) if version.isdigit() else None))
    return lines


@router.post("/g/{guichet}/sessions/{day}/decisions")
async def decide(request: Request, guichet: str, day: str) -> Response:
    from workflow import sessions
    from workflow.errors import ComiteError, said
    from workflow.french import count_fr

    form = await checked_form(request)
    when = _day(day)
    with unit_of_work(request, guichet) as uow:
        _, actor = member(request, uow.session)
    try:
        with unit_of_work(request, guichet, write=True) as uow:
            done = sessions.decide(uow, day=when, lines=_lines(form), actor=actor.email,
                                   now=request.app.state.settings.clock())
            uow.commit()
    except ComiteError as error:
        lines = {ref: said(refusal) for ref, refusal in getattr(error, "refusals", {}).items()}
        failed = {"said": said(error), "lines": lines, "values": form}
        with unit_of_work(request, guichet) as uow:
            return _board(request, uow.session, day, status_of(error), failed)
    decided = count_fr(len(done), "décision enregistrée", "décisions enregistrées")
    request.session["flash"] = (f"{decided} ; les porteurs en seront informés à la clôture de "
                                "la séance.")
    return redirect(f"/g/{guichet}/sessions/{when.isoformat()}")


@router.get("/g/{guichet}/sessions/{day}/proces-verbal.{kind}")
def minutes(request: Request, guichet: str, day: str, kind: str) -> Response:
    """The minutes, frozen at the close (a draft, marked so, before)."""
    from reports import minutes as printed

    db = reads(request, guichet)
    if kind not in ("html", "pdf"):
        raise HTTPException(404)
    _, actor = member(request, db)
    if territory(actor) is not None:
        raise HTTPException(404)  # the minutes tell every département's decisions
    when = _day(day)
    document, sha256 = printed.load(db, when)
    html = printed.html(document, sha256)
    name = f"proces-verbal-{guichet}-{when.isoformat()}"
    if kind == "html":  # a document of its own, styled by its own sheet
        return HTMLResponse(html, headers={"Content-Security-Policy": MINUTES_POLICY})
    from weasyprint import HTML

    return Response(HTML(string=html).write_pdf(), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


@router.get("/g/{guichet}/sessions/{day}/{command}", response_class=HTMLResponse)
def confirm(request: Request, guichet: str, day: str, command: str) -> Response:
    db = reads(request, guichet)
    if command not in COMMANDS:
        raise HTTPException(404)
    return _confirm(request, db, day, command)


def _confirm(request: Request, db: Any, day: str, command: str, status: int = 200,
             said: str | None = None, values: dict[str, str] | None = None) -> Response:
    from workflow import views

    loaded, actor = member(request, db)
    document = views.board(db, _day(day))
    title, explained = COMMANDS[command]
    return page(request, "session_confirm.html.j2", status, guichet=loaded.row, actor=actor,
                s=document, command=command, title=title, explained=explained, said=said,
                values=values or {}, label=SESSION_LABELS[document["state"]])


@router.post("/g/{guichet}/sessions/{day}/{command}")
async def run_command(request: Request, guichet: str, day: str, command: str) -> Response:
    from workflow import sessions
    from workflow.clock import parse_day
    from workflow.errors import ComiteError, said

    form = await checked_form(request)
    if command not in COMMANDS:
        raise HTTPException(404)
    when = _day(day)
    with unit_of_work(request, guichet) as uow:
        _, actor = member(request, uow.session)
    service = getattr(sessions, SERVICES[command])
    try:
        extra = ({"new_day": parse_day(form.get("new_day") or None, "new_day")}
                 if command == "move" else {})
        with unit_of_work(request, guichet, write=True) as uow:
            committee = service(uow, day=when, actor=actor.email,
                                now=request.app.state.settings.clock(), **extra)
            uow.commit()
    except ComiteError as error:
        with unit_of_work(request, guichet) as uow:
            return _confirm(request, uow.session, day, command, status_of(error),
                            said(error), form)
    request.session["flash"] = (f"Session du {committee.day:%d/%m/%Y} : "
                                f"{SESSION_LABELS[committee.state]}.")
    return redirect(f"/g/{guichet}/sessions/{committee.day.isoformat()}")


