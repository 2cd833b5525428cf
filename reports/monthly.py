"""The end-of-month list of laureates, as CSV (French spreadsheets) or XLSX (typed cells).

One row per laureate project: reference, authority, département, measure, amount funded, end
date, project status from the latest quarterly report, the companies paid with the département of
their head office, the session and the decision dates. No text cell is ever a live formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from states.money import eur_json
from workflow import context
from workflow.clock import local_day
from workflow.errors import InvalidInput
from workflow.forms import REPORT_STATUS_LABELS
from workflow.models import Audit, CommitteeSession, Dossier, Report

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
HEADERS = ["Référence", "Collectivité", "Département", "Mesure", "Montant financé (€)",
           "Date de fin", "État du projet", "Entreprises payées (département du siège)",
           "Session", "Date de décision"]


def neutral(text: str) -> str:
    """A cell that a spreadsheet would read as a formula gets a leading apostrophe (CSV)."""
    return "'" + text if text.startswith(DANGEROUS) else text


@dataclass(frozen=True)
class Line:
    guichet: str  # the guichet's id, shown in the directorate's consolidated list
    reference: str
    authority: str
    department: str
    measure: str
    amount_cents: int
    end_date: date
    status: str
    companies: str
    session_day: date | None
    decided_on: date | None


@dataclass(frozen=True)
class MonthlyList:
    guichet: str  # the guichet's name, or "Tous les guichets" for the consolidated list
    month: str
    lines: list[Line]
    consolidated: bool = False  # one list for the directorate: a column names each guichet

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def parse_month(text: str) -> tuple[int, int]:
    from workflow.clock import within_years

    try:
        year, month = (int(part) for part in text.split("-"))
        within_years(date(year, month, 1))
    except ValueError:
        raise InvalidInput(f"« {text} » n'est pas un mois (AAAA-MM)", field="--month") from None
    return year, month


def build(session: Session, month: str, loaded: context.Loaded | None = None) -> MonthlyList:
    """The list as it stood at the end of ``month``: the awards decided by then and not withdrawn
    by then, each with what its reports received by then said. Printed again later, a month's
    list is the one that was sent. The guichet is ``loaded``, else the unit of work's."""
    loaded = loaded or context.guichet(session)
    year, number = parse_month(month)
    end = date(year + number // 12, number % 12 + 1, 1)
    before = datetime.combine(end, time(0), ZoneInfo(loaded.tz)).astimezone(UTC)
    accepted = (select(Audit.dossier_id, func.max(Audit.at).label("at"))
                .where(Audit.guichet_id == loaded.id, Audit.event == "accept",
                       col(Audit.at) < before)
                .group_by(col(Audit.dossier_id)).subquery())
    withdrawn = select(Audit.dossier_id).where(Audit.guichet_id == loaded.id,
                                               Audit.event == "withdraw", col(Audit.at) < before)
    # Only the columns the list shows: a national guichet has hundreds of thousands of laureates.
    rows = session.execute(
        sa_select(col(Dossier.id), col(Dossier.reference), col(Dossier.applicant_name),
                  col(Dossier.department), col(Dossier.measure), col(Dossier.awarded_cents),
                  col(Dossier.form)["end_date"].as_string(), col(Dossier.end_date),
                  col(CommitteeSession.day), accepted.c.at)
        .join(accepted, accepted.c.dossier_id == col(Dossier.id))
        .outerjoin(CommitteeSession, col(CommitteeSession.id) == col(Dossier.session_id))
        .where(col(Dossier.guichet_id) == loaded.id, col(Dossier.id).not_in(withdrawn))
        .order_by(col(Dossier.reference))).all()
    reports: dict[int, list[tuple[str, date, Any]]] = {}
    for dossier_id, status, end_date, companies in session.execute(
            sa_select(col(Report.dossier_id), col(Report.status), col(Report.end_date),
                      col(Report.companies))
            .join(accepted, accepted.c.dossier_id == col(Report.dossier_id))
            .where(col(Report.received_at) < before)
            .order_by(col(Report.period), col(Report.received_at))):
        reports.setdefault(dossier_id, []).append((status, end_date, companies))
    lines = []
    for (dossier_id, reference, authority, department, measure, cents, filed_end, end_now, day,
         at) in rows:
        received = reports.get(dossier_id, [])
        latest = received[-1] if received else None
        paid = {(c["name"], c["department"]) for *_, listed in received for c in listed}
        lines.append(Line(
            guichet=loaded.id, reference=reference, authority=authority, department=department,
            measure=measure,
            amount_cents=cents or 0,
            # The latest report's end date, else the one the dossier was filed with.
            end_date=latest[1] if latest else (
                date.fromisoformat(filed_end) if filed_end else end_now),
            status=REPORT_STATUS_LABELS.get(latest[0], latest[0]) if latest else "aucun rapport",
            companies=", ".join(f"{name} ({dept})" for name, dept in sorted(paid)),
            session_day=day, decided_on=local_day(at, loaded.tz)))
    return MonthlyList(loaded.row.name, month, lines)


def consolidated(session: Session, month: str) -> MonthlyList:
    """Every guichet's list for ``month`` in one, for the directorate: each guichet's month ends
    at its own midnight, and a first column names the guichet."""
    parse_month(month)
    lines = [line for loaded in context.every_guichet(session)
             for line in build(session, month, loaded).lines]
    return MonthlyList("Tous les guichets", month, lines, consolidated=True)


def xml_text(text: str) -> str:
    """XML keeps no bare CR: line breaks are written as LF (what readers would show anyway)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _headers(report: MonthlyList) -> list[str]:
    return ["Guichet", *HEADERS] if report.consolidated else HEADERS


def _row(report: MonthlyList, line: Line) -> list[Any]:
    cells = [line.reference, line.authority, line.department, line.measure, line.amount_cents,
             line.end_date, line.status, line.companies, line.session_day, line.decided_on]
    return [line.guichet, *cells] if report.consolidated else cells


def _total_row(report: MonthlyList, label: Any, total: Any) -> list[Any]:
    """The label first, the total under the amounts, the other cells empty."""
    headers = _headers(report)
    amounts = headers.index("Montant financé (€)")
    return [label if i == 0 else total if i == amounts else None for i in range(len(headers))]


def french_csv(header: list[str], rows: list[list[Any]]) -> str:
    """';'-separated, UTF-8 with BOM, decimal comma: opens as is in French Excel and LibreOffice.

    Integers are amounts in cents, dates are days; any other cell is text that never becomes a
    live formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, int) and not isinstance(value, bool):
                cells.append((eur_json(value) or "").replace(".", ","))
            elif isinstance(value, date):
                cells.append(value.strftime("%d/%m/%Y"))
            else:
                cells.append(neutral("" if value is None else str(value)))
        writer.writerow(cells)
    return out.getvalue()


def to_csv(report: MonthlyList) -> str:
    """The list as CSV (french_csv), with its totals row."""
    total = _total_row(report, "Total", report.total_cents)
    return french_csv(_headers(report), [*(_row(report, line) for line in report.lines), total])


def to_xlsx(report: MonthlyList, path: Path) -> None:
    """Typed cells (amounts in euros, dates as dates), a title, a frozen header, a totals row.

    Written in openpyxl's streaming mode: rows go to disk as they come, memory stays flat.
    """
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Lauréats {report.month}")
    sheet.freeze_panes = "A3"
    widths = ((16,) if report.consolidated else ()) + (16, 36, 12, 8, 18, 12, 16, 48, 12, 16)
    for letter, width in zip("ABCDEFGHIJK", widths, strict=False):
        sheet.column_dimensions[letter].width = width
    bold, euro, day = Font(bold=True), '#,##0.00 "€"', "DD/MM/YYYY"

    def cell(value: Any) -> WriteOnlyCell:
        if isinstance(value, int):
            written = WriteOnlyCell(sheet, Decimal(value) / 100)
            written.number_format = euro
        elif isinstance(value, date):
            written = WriteOnlyCell(sheet, value)
            written.number_format = day
        elif value is None:
            written = WriteOnlyCell(sheet, None)
        else:
            # No control characters in a worksheet; text stays text, never a formula.
            written = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", xml_text(str(value))))
            written.data_type, written.quotePrefix = "s", True
        return written

    title = WriteOnlyCell(sheet, f"{report.guichet} : lauréats à la fin du mois {report.month}")
    title.font = Font(bold=True, size=13)
    sheet.append([title])
    header = []
    for text in _headers(report):
        header.append(WriteOnlyCell(sheet, text))
        header[-1].font = bold
    sheet.append(header)
    for line in report.lines:
        sheet.append([cell(value) for value in _row(report, line)])
    # A value, not a formula: the file holds no formula at all, so none can be hijacked.
    total = cell(report.total_cents)
    total.font = bold
    label = WriteOnlyCell(sheet, "Total")
    label.font = bold
    sheet.append(_total_row(report, label, total))
    book.save(path)


def write(session: Session, month: str, output: Path, *,
          all_guichets: bool = False) -> MonthlyList:
    from reports.output import written

    suffix = output.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput("extension attendue : .csv ou .xlsx", field="--output")
    report = consolidated(session, month) if all_guichets else build(session, month)
    with written(output) as path:
        if suffix == ".csv":
            path.write_text(to_csv(report), encoding="utf-8", newline="")
        else:
            to_xlsx(report, path)
    return report
