"""The monthly list read back (csv module, openpyxl) against the database, and statistics."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reports.monthly import (
    DANGEROUS,
    Line,
    MonthlyList,
    build,
    to_csv,
    to_xlsx,
    write,
    xml_text,
)
from reports.stats import compute
from tests.helpers import COORDINATOR, INSTRUCTOR, form, report
from workflow.db import UnitOfWork

I29 = INSTRUCTOR["29"]


@pytest.fixture
def campaign(desk):
    """Two laureates (one with reports and companies), one refused, one accepted in September."""
    first = desk.scheduled(form(title="Premier"))
    second = desk.scheduled(form(title="Second", applicant={"department": "22"}))
    third = desk.scheduled(form(title="Troisième"))
    later = desk.scheduled(form(title="Plus tard"), day="2021-09-14")
    desk.held()
    for reference, amount in ((first, 2_000_000), (second, 1_500_050)):
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00", amount=amount,
                  reason="ok")
    desk.fire("refuse", third, actor=COORDINATOR, now="2021-06-22 10:10", reason="non")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    desk.fire("send_agreement", first, actor=I29, now="2021-06-25 10:00")
    desk.fire("sign_agreement", first, actor=I29, now="2021-07-01 10:00",
              signed_on=date(2021, 7, 1))
    desk.fire("submit_report", first, actor=I29, now="2021-10-05 10:00", file=None,
              data=report(period="2021-Q3", status="late", end_date="2022-12-15"))
    desk.held("2021-09-14")
    desk.fire("accept", later, actor=COORDINATOR, now="2021-09-14 10:00", amount=100_000,
              reason="ok")
    return desk, first, second


def _write(desk, month, path):
    with UnitOfWork(desk.engine) as uow:
        return write(uow.session, month, path)


def test_the_csv_opens_in_french_spreadsheets_and_matches_the_database(campaign, tmp_path):
    desk, first, second = campaign
    path = tmp_path / "juillet.csv"
    _write(desk, "2021-07", path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Référence" and rows[-1][0] == "Total"
    body = {row[0]: row for row in rows[1:-1]}
    assert set(body) == {first, second}  # September's laureate is not yet on July's list
    assert body[second][4] == "15000,50" and body[second][2] == "22"
    # As July ended: the first report came in October.
    assert body[first][6] == "aucun rapport" and body[first][7] == ""
    assert body[first][5] == "30/09/2022" and body[first][8] == "22/06/2021"  # as filed
    assert rows[-1][4] == "35000,50"


def test_a_month_is_listed_as_it_stood_when_it_ended(campaign, tmp_path):
    desk, first, second = campaign
    desk.fire("withdraw", second, actor=INSTRUCTOR["22"], now="2021-11-03 10:00",
              reason="Projet abandonné")

    def listed(month):
        with UnitOfWork(desk.engine) as uow:
            return {line.reference: line for line in build(uow.session, month).lines}

    october, november = listed("2021-10"), listed("2021-11")
    assert second in october and second not in november  # withdrawn in November
    assert october[first].status == "en retard"  # the report of 5 October
    assert october[first].companies.endswith("(22)")
    assert october[first].end_date == date(2022, 12, 15)  # as that report announced it
    assert set(listed("2021-07")) == {first, second}  # printed again, the list that was sent


def test_the_xlsx_has_typed_cells_a_title_a_frozen_header_and_totals(campaign, tmp_path):
    desk, first, second = campaign
    path = tmp_path / "septembre.xlsx"
    _write(desk, "2021-09", path)
    sheet = load_workbook(path).active
    assert "Bretagne" in sheet["A1"].value and "2021-09" in sheet["A1"].value
    assert sheet.freeze_panes == "A3"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    body = {row[0]: row for row in rows[:-1]}
    assert len(body) == 3
    assert Decimal(str(body[second][4])) == Decimal("15000.50")
    assert sheet.cell(3, 5).number_format.endswith('"€"')
    assert isinstance(body[first][5], datetime) and isinstance(body[first][9], datetime)
    assert rows[-1][0] == "Total" and Decimal(str(rows[-1][4])) == Decimal("36000.50")


def test_a_month_without_laureates_still_has_its_header_and_total(desk, tmp_path):
    path = tmp_path / "mai.csv"
    assert _write(desk, "2021-05", path).lines == []
    assert path.read_text(encoding="utf-8-sig").splitlines()[-1].startswith("Total;")


HOSTILE = st.builds(lambda head, tail: head + tail, st.sampled_from(DANGEROUS + ("",)),
                    st.text(min_size=0, max_size=30))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(HOSTILE, min_size=200, max_size=200), consolidated=st.booleans())
def test_no_hostile_text_ever_becomes_a_live_formula(tmp_path_factory, names, consolidated):
    """5 × 200 lines × 2 text cells from user data: over 1,000 hostile strings per format, in a
    guichet's list and in the directorate's consolidated one alike."""
    folder = tmp_path_factory.mktemp("hostile")
    lines = [Line("bretagne-2021", f"BZH-2021-{n:04d}", name, "29", "3c", 100, date(2022, 6, 30),
                  "dans les temps", f"{name} (22)", date(2021, 6, 22), date(2021, 6, 22))
             for n, name in enumerate(names)]
    monthly = MonthlyList("Guichet", "2021-07", lines, consolidated=consolidated)
    rows = list(csv.reader(io.StringIO(to_csv(monthly).lstrip("\ufeff")), delimiter=";"))
    assert not [cell for row in rows for cell in row if cell.startswith(DANGEROUS)]
    path = folder / "hostile.xlsx"
    to_xlsx(monthly, path)
    sheet = load_workbook(path).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell for cell in cells if cell.data_type == "f"]
    column = 3 if consolidated else 2
    authorities = [sheet.cell(row, column).value or "" for row in range(3, 3 + len(names))]
    assert authorities == [ILLEGAL_CHARACTERS_RE.sub("", xml_text(name)) for name in names]


def test_an_unknown_month_or_format_is_bad_input(desk, tmp_path):
    from workflow.errors import InvalidInput

    with pytest.raises(InvalidInput, match="--month"):
        _write(desk, "2021-13", tmp_path / "x.csv")
    with pytest.raises(InvalidInput, match="--output"):
        _write(desk, "2021-07", tmp_path / "x.pdf")


def test_stats_weigh_departments_sizes_measures_and_rates(campaign):
    desk, _, _ = campaign
    with UnitOfWork(desk.engine) as uow:
        stats = compute(uow.session)
    assert stats["laureates"] == 3 and stats["awarded_eur"] == "36000.50"
    assert stats["by_department"]["22"] == {"count": 1, "awarded_eur": "15000.50"}
    assert stats["by_population"]["5 000 à 19 999"]["count"] == 3
    assert stats["decisions"] == {"taken": 4, "accept": 3, "request_revision": 0, "refuse": 1}
    assert (stats["acceptance_rate"], stats["refusal_rate"]) == ("0.750", "0.250")
    assert stats["envelopes"]["remaining_eur"] == "1151999.50"


def test_the_stats_table_names_each_authority_kind_in_french(campaign):
    from reports.stats import table

    desk, _, _ = campaign
    with UnitOfWork(desk.engine) as uow:
        stats = compute(uow.session)
    stats["by_kind"]["epci"] = {"count": 1, "awarded_eur": "10.00"}
    stats["by_kind"]["other"] = {"count": 2, "awarded_eur": "20.00"}
    lines = table(stats).splitlines()
    by_kind = lines[lines.index("Par type de collectivité :") + 1:
                    lines.index("Par population :")]
    names = [line.split()[0] for line in by_kind]
    assert "EPCI" in names and "autre" in names
    assert not {"epci", "other"} & set(names)
    assert "Par guichet :" not in lines  # one guichet: no axis of guichets, not an empty one
