"""Reports: the month-end list of laureates (CSV, XLSX) and the statistics with their charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from web.access import member
from web.app import page, reads

router = APIRouter()
# a chart is a picture of its own; pygal styles it inline and nothing in it may run
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
CHARTS = ("by_department", "by_kind", "by_population", "by_measure", "decisions")


@router.get("/g/{guichet}/rapports", response_class=HTMLResponse)
def reports(request: Request, guichet: str, month: str | None = None) -> Response:
    from reports import charts
    from reports.monthly import build
    from reports.stats import compute

    db = reads(request, guichet)
    loaded, actor = member(request, db)
    month = month or loaded.today(request.app.state.settings.clock()).strftime("%Y-%m")
    listed = build(db, month, loaded)  # a bad month is said here, on the page
    document = compute(db)
    return page(request, "rapports.html.j2", guichet=loaded.row, actor=actor, month=month,
                listed=listed, stats=document, titles=charts.AXES,
                tables={axis: charts.rows(document, axis) for axis in CHARTS})


@router.get("/g/{guichet}/rapports/graphique-{axis}.svg")
def chart(request: Request, guichet: str, axis: str) -> Response:
    from reports import charts
    from reports.stats import compute

    db = reads(request, guichet)
    member(request, db)
    if axis not in CHARTS:
        raise HTTPException(404)
    return Response(charts.svg(compute(db), axis), media_type="image/svg+xml",
                    headers={"Content-Security-Policy": CHART_POLICY})


@router.get("/g/{guichet}/rapports/laureats-{month}.{kind}")
def monthly_list(request: Request, guichet: str, month: str, kind: str) -> Response:
    """The month-end list, the same file as `comite report monthly --output`."""
    import tempfile
    from pathlib import Path

    from reports.monthly import build, to_csv, to_xlsx

    db = reads(request, guichet)
    loaded, _ = member(request, db)
    if kind not in ("csv", "xlsx"):
        raise HTTPException(404)
    listed = build(db, month, loaded)
    name = f"laureats-{loaded.id}-{listed.month}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return Response(to_csv(listed), media_type="text/csv; charset=utf-8",
                        headers=disposition)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        to_xlsx(listed, path)
        body = path.read_bytes()
    return Response(body, headers=disposition, media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
