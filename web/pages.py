"""Staff pages: logging in, the guichets of a person, a guichet's dashboard, its dossiers.

Each route reads who is logged in, opens a unit of work scoped to the guichet of its URL, asks
the rules what this person may see (states.guards.may_read) and renders what the views return:
the same documents `comite … --json` prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from states.guards import ROLE_LABELS, Actor, territory
from states.lifecycle import STATE_LABELS
from states.sessions import SESSION_LABELS
from web.access import member
from web.app import checked_form, log_in, logged_in, page, reads, redirect

router = APIRouter()
PER_PAGE = 50


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    from workflow import views

    db = reads(request)
    if request.app.state.settings.demo_login:
        return page(request, "login.html.j2", staff=[
            {**person, "role": ROLE_LABELS[person["role"]]} for person in views.every_staff(db)])
    if request.app.state.proconnect is not None:
        return page(request, "login_proconnect.html.j2")
    raise HTTPException(503, "la connexion n'est pas configurée : l'équipe technique doit "
                             "renseigner ProConnect (COMITE_PROCONNECT_URL, "
                             "COMITE_PROCONNECT_CLIENT_ID, COMITE_PROCONNECT_SECRET)")


@router.post("/connexion")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    if not request.app.state.settings.demo_login:
        raise HTTPException(404)
    log_in(request, form.get("email", ""))
    return redirect("/")


@router.post("/deconnexion")
async def logout(request: Request) -> Response:
    from web import proconnect

    await checked_form(request)
    if request.app.state.proconnect is not None:
        return await proconnect.logout(request)
    request.session.clear()
    return redirect("/connexion" if request.app.state.settings.demo_login else "/")


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request) -> Response:
    from workflow import context

    db = reads(request)
    email = logged_in(request)
    if not email:
        return redirect("/connexion")
    roles = context.roles_of(db, email)
    if not roles:
        return page(request, "not_staff.html.j2", 403, email=email)
    if len(roles) == 1:
        return redirect(f"/g/{roles[0][0].id}/")
    return page(request, "guichets.html.j2", roles=[
        {"id": g.id, "name": g.name, "role": ROLE_LABELS[role]} for g, role in roles])


@router.get("/g/{guichet}/", response_class=HTMLResponse)
def dashboard(request: Request, guichet: str) -> Response:
    from notifications.outbox import STATUS_LABELS
    from schedules.jobs import JOB_LABELS
    from workflow import views

    db = reads(request, guichet)
    loaded, actor = member(request, db)
    [counts] = views.guichet_list(db)
    now = request.app.state.settings.clock()
    return page(request, "dashboard.html.j2", guichet=loaded.row, actor=actor,
                due=[{**d, "label": JOB_LABELS[d["kind"]]} for d in views.due_soon(
                    db, loaded, now, department=territory(actor))],
                trouble=[{**m, "label": STATUS_LABELS[m["status"]]}
                         for m in views.messages_in_trouble(db, loaded,
                                                            department=territory(actor))],
                role=ROLE_LABELS[actor.role], budget=views.budget(db, loaded),
                counts={STATE_LABELS[state]: n for state, n in counts["dossiers"].items() if n},
                sessions=[{**s, "label": SESSION_LABELS[s["state"]]}
                          for s in views.next_sessions(db, loaded, loaded.today(now))])


@dataclass(frozen=True)
class Asked:
    """What the list's form asks: its filters and its order (the page's query string)."""

    state: str | None = None
    department: str | None = None
    measure: str | None = None
    session: str | None = None
    text: str | None = None
    sort: str = "reference"
    order: str = "asc"

    @property
    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in asdict(self).items() if v})


def _asked(state: str | None = None, department: str | None = None, measure: str | None = None,
           session: str | None = None, text: str | None = None, sort: str = "reference",
           order: str = "asc") -> Asked:
    return Asked(state or None, department or None, measure or None, session or None,
                 text or None, sort or "reference", order)


Listed = Annotated[Asked, Depends(_asked)]


def _filters(actor: Actor, asked: Asked) -> dict[str, Any] | None:
    """The list's filters for this person; None when they ask for what they may not read (an
    instructor lands on their own département and sees no other)."""
    from workflow.clock import parse_day
    from workflow.views import listed_department

    allowed, department = listed_department(actor, asked.department)
    if not allowed:
        return None
    return {"state": asked.state, "department": department, "measure": asked.measure,
            "text": asked.text, "session_day": parse_day(asked.session, "session")}


@router.get("/g/{guichet}/dossiers", response_class=HTMLResponse)
def dossiers(request: Request, guichet: str, asked: Listed,
             page_number: int = 1) -> Response:
    from states.guards import territory
    from workflow import views

    db = reads(request, guichet)
    loaded, actor = member(request, db)
    filters = _filters(actor, asked)
    own = territory(actor)  # an instructor's list is their département's: the only one offered
    number = max(page_number, 1)
    rows, total = views.dossier_page(
        db, sort=asked.sort, descending=asked.order == "desc", limit=PER_PAGE,
        offset=(number - 1) * PER_PAGE, **filters) if filters is not None else ([], 0)
    return page(request, "dossiers.html.j2", guichet=loaded.row, actor=actor,
                rows=rows, total=total, number=number, pages=max(1, -(-total // PER_PAGE)),
                filters=asdict(asked), query=asked.query, states=STATE_LABELS,
                departments=[own] if own else sorted(loaded.config.department_codes),
                every_department=own is None,
                measures=loaded.config.guichet.measures, sorts=SORT_LABELS,
                sessions=[s["date"] for s in views.session_list(db, loaded)])


SORT_LABELS = {"reference": "Référence", "state": "État", "department": "Département",
               "measure": "Mesure", "applicant": "Demandeur", "requested": "Montant demandé"}


@router.get("/g/{guichet}/dossiers.csv")
def dossiers_csv(request: Request, guichet: str, asked: Listed) -> Response:
    """The filtered list as CSV: the same formula-safe CSV as the monthly list."""
    from reports.monthly import french_csv
    from states.money import parse_eur
    from workflow import views

    db = reads(request, guichet)
    loaded, actor = member(request, db)
    filters = _filters(actor, asked)
    rows = views.dossier_list(db, **filters) if filters is not None else []
    body = french_csv(
        ["Référence", "État", "Département", "Mesure", "Demandeur", "Montant demandé (€)",
         "Montant accordé (€)", "Session"],
        [[row["reference"], STATE_LABELS[row["state"]], row["department"], row["measure"],
          row["applicant"]["name"], parse_eur(row["requested_eur"]),
          parse_eur(row["awarded_eur"]) if row["awarded_eur"] else None, row["session"]]
         for row in rows])
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="dossiers-{loaded.id}.csv"'})


@router.get("/g/{guichet}/guichet", response_class=HTMLResponse)
def settings_page(request: Request, guichet: str) -> Response:
    """The guichet as loaded: settings, départements, team, sessions."""
    from workflow import views

    db = reads(request, guichet)
    loaded, actor = member(request, db)
    document = views.guichet(db)
    return page(request, "guichet.html.j2", guichet=loaded.row, actor=actor, g=document,
                roles=ROLE_LABELS,
                sessions=[{**s, "label": SESSION_LABELS[s["state"]]} for s in document["sessions"]])


@router.get("/g/{guichet}/courriels", response_class=HTMLResponse)
def outbox_page(request: Request, guichet: str, status: str | None = None) -> Response:
    """The guichet's messages, filtered by status; a coordinator may requeue a dead one."""
    from notifications.outbox import STATUS_LABELS
    from workflow import views

    db = reads(request, guichet)
    loaded, actor = member(request, db)
    if status and status not in STATUS_LABELS:
        raise HTTPException(422, f"état inconnu « {status} »")
    return page(request, "courriels.html.j2", guichet=loaded.row, actor=actor,
                rows=views.outbox(db, loaded, status=status or None,
                                  department=territory(actor)), chosen=status,
                labels=STATUS_LABELS)


@router.post("/g/{guichet}/courriels/{message}/relancer")
async def outbox_retry(request: Request, guichet: str, message: int) -> Response:
    from notifications.outbox import retry

    db = reads(request, guichet)
    await checked_form(request)
    _, actor = member(request, db)
    retry(request.app.state.settings.engine, message=message,
          now=request.app.state.settings.clock(), guichet=guichet, by=actor)
    return redirect(f"/g/{guichet}/courriels?status=retrying")
