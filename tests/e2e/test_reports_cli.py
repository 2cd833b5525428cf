"""The prefecture's documents from the command line: monthly list, minutes, statistics."""

from __future__ import annotations

import json

from openpyxl import load_workbook

from tests.cli import Cli


def test_reports_from_the_demo_campaign(tmp_path, capsys, monkeypatch):
    Cli(tmp_path / "unused.db", capsys, monkeypatch).ok("demo", "--folder", str(tmp_path / "d"),
                                                        "--replay-only")
    cli = Cli(tmp_path / "d" / "demo.db", capsys, monkeypatch)
    assert "1 lauréat à fin juin 2021 : " in cli.ok("report", "monthly", "--month", "2021-06",
                                                   "--output", str(tmp_path / "juin.xlsx"))
    sheet = load_workbook(tmp_path / "juin.xlsx").active
    assert sheet["A3"].value == "BZH-2021-0001"
    assert "figé" in cli.ok("session", "minutes", "2021-06-22", "--output",
                            str(tmp_path / "pv.html"))
    assert "BZH-2021-0003" in (tmp_path / "pv.html").read_text()
    stats = json.loads(cli.ok("stats", "--json"))
    assert stats["decisions"]["taken"] == 3 and stats["laureates"] == 1
    table = cli.ok("stats")
    assert "Par département" in table and "36\u202f000,00 €" in table
    result = cli("report", "monthly", "--month", "juin", "--output", str(tmp_path / "x.csv"))
    assert result.code == 2 and "--month" in result.err
