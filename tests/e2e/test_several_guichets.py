"""Several guichets in one base, as their people use it from the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR, EXAMPLE, INSTRUCTOR, form


@pytest.fixture
def base(db_url, capsys, monkeypatch):
    campaigns.unset_environment(monkeypatch)
    return Cli(db_url, capsys, monkeypatch)


@pytest.fixture
def two(base, tmp_path):
    campaigns.replayed(base, tmp_path)
    return base


def _variant(tmp_path, source, name, **replace: str):
    """A copy of a guichet file with some of its text replaced (another id, prefix, staff)."""
    text = source.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    template = source.parent / "convention.html.j2"  # what the file names beside it
    (tmp_path / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_second_guichet_is_loaded_beside_the_first_and_init_stays_idempotent(base):
    assert "guichet « bretagne-2021 » créé" in base.ok("init", str(EXAMPLE), now="2021-05-01")
    assert "guichet « cantal-2021 » créé" in base.ok("init", str(campaigns.CANTAL),
                                                     now="2021-05-01")
    assert base.ok("init", str(EXAMPLE), now="2021-05-02").endswith("déjà à jour")
    assert base.ok("init", str(campaigns.CANTAL), now="2021-05-02").endswith("déjà à jour")
    listed = json.loads(base.ok("guichet", "list", "--json"))
    assert [(g["id"], g["region"], g["envelope_eur"]) for g in listed] == [
        ("bretagne-2021", "Bretagne", "1188000.00"),
        ("cantal-2021", "Auvergne-Rhône-Alpes", "250000.00")]
    text = base.ok("guichet", "list")
    assert "bretagne-2021 (BZH)" in text and "cantal-2021 (CAN)" in text
    assert [g["id"] for g in json.loads(base.ok("guichet", "list", "--json", "--guichet",
                                                "cantal-2021"))] == ["cantal-2021"]
    preview = base.ok("notifications", "preview", "decision_refused", "--guichet", "cantal-2021")
    assert preview.startswith("Objet : [CAN-2021-0007]")
    assert "Clermont-Ferrand" in preview and "Bretagne" not in preview
    before = base.digest()
    wrong = base("init", str(campaigns.CANTAL), "--guichet", "bretagne-2021", now="2021-05-03")
    assert wrong.code == 2 and "--guichet" in wrong.err and "cantal-2021" in wrong.err
    assert base.digest() == before


def test_init_of_one_guichet_changes_nothing_of_the_other(two, tmp_path):
    before = json.loads(two.ok("guichet", "show", "--json", "--guichet", "cantal-2021"))
    budget = json.loads(two.ok("budget", "--json", "--guichet", "cantal-2021"))
    smaller = _variant(tmp_path, EXAMPLE, "bzh.toml",
                       **{'envelope_eur = "1188000"': 'envelope_eur = "1100000"'})
    assert "paramètres du guichet mis à jour" in two.ok("init", str(smaller), now="2021-11-01")
    assert json.loads(two.ok("guichet", "show", "--json", "--guichet", "cantal-2021")) == before
    assert json.loads(two.ok("budget", "--json", "--guichet", "cantal-2021")) == budget
    assert json.loads(two.ok("budget", "--json", "--guichet", "bretagne-2021"))[
        "envelope_eur"] == "1100000.00"


def test_with_several_guichets_a_command_that_needs_one_names_the_option_and_the_ids(two,
                                                                                     tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(), ensure_ascii=False), encoding="utf-8")
    before = two.digest()
    for words in (["budget"], ["guichet", "show"], ["dossier", "list"], ["stats"],
                  ["session", "list"], ["session", "show", "2021-06-22"],
                  ["outbox", "list"], ["dossier", "submit", str(path)],
                  ["report", "monthly", "--month", "2021-07", "--output",
                   str(tmp_path / "l.csv")]):
        result = two(*words, now="2021-10-20T10:00")
        assert result.code == 2, words
        assert "--guichet" in result.err and "bretagne-2021, cantal-2021" in result.err, words
    assert two.digest() == before
    assert not (tmp_path / "l.csv").exists()


def test_the_guichet_is_named_before_or_after_the_command_or_in_the_environment(two,
                                                                                monkeypatch):
    def envelope(*words: str) -> str:
        return json.loads(two.ok(*words))["envelope_eur"]

    assert envelope("budget", "--json", "--guichet", "cantal-2021") == "250000.00"
    assert envelope("--guichet", "cantal-2021", "budget", "--json") == "250000.00"
    monkeypatch.setenv("COMITE_GUICHET", "bretagne-2021")
    assert envelope("budget", "--json") == "1188000.00"
    assert envelope("budget", "--json", "--guichet", "cantal-2021") == "250000.00"
    for words, said in ((["--guichet", "bretagne-2021", "budget", "--guichet", "cantal-2021"],
                         "deux guichets"),
                        (["budget", "--guichet", "corse-2021"], "aucun guichet « corse-2021 »"),
                        (["budget", "--guichet", " "], "--guichet vide")):
        result = two(*words)
        assert result.code == 2 and said in result.err and "--guichet" in result.err, words


def test_the_list_filters_by_measure_and_text_within_its_guichet(two):
    def listed(*words: str) -> list[str]:
        return [d["reference"] for d in json.loads(two.ok("dossier", "list", "--json", *words))]

    assert listed("--guichet", "bretagne-2021", "--measure", "3b") == ["BZH-2021-0003"]
    assert listed("--guichet", "cantal-2021", "--text", "CANTALIEN 2") == ["CAN-2021-0002"]
    assert listed("--guichet", "cantal-2021", "--text", "breton") == []


def test_a_reference_names_its_guichet_and_a_contradicting_guichet_is_bad_input(two):
    shown = json.loads(two.ok("dossier", "show", "can-2021-0001", "--json"))
    assert shown["reference"] == "CAN-2021-0001" and shown["state"] == "follow_up"
    before = two.digest()
    for words, actor in ((["dossier", "show", "CAN-2021-0001", "--guichet", "bretagne-2021"],
                          None),
                         (["dossier", "withdraw", "CAN-2021-0001", "--reason", "Essai",
                           "--guichet", "bretagne-2021"], campaigns.CANTAL_COORDINATOR)):
        result = two(*words, now="2021-10-20T10:00", actor=actor)
        assert result.code == 2, words
        assert "cantal-2021" in result.err and "--guichet" in result.err
    assert two.digest() == before
    result = two("dossier", "show", "ZZZ-2021-0001")
    assert result.code == 2 and "aucun dossier ZZZ-2021-0001" in result.err


def test_a_reference_prefix_belongs_to_one_guichet_of_the_base(two, tmp_path):
    clash = _variant(tmp_path, campaigns.CANTAL, "clash.toml",
                     **{'id = "cantal-2021"': 'id = "aurillac-2021"',
                        'reference_prefix = "CAN"': 'reference_prefix = "BZH"'})
    before = two.digest()
    result = two("init", str(clash), now="2021-11-01")
    assert result.code == 1
    assert "BZH" in result.err and "bretagne-2021" in result.err
    assert two.digest() == before


def test_one_person_holds_roles_in_several_guichets_each_checked_in_its_own(base, tmp_path):
    # The SGAR's coordinator is also the Cantal's instructor; Cantal's coordinator is nobody in
    # Bretagne.
    cantal = _variant(tmp_path, campaigns.CANTAL, "cantal.toml",
                      **{'"instructeur.15@example.org"': f'"{COORDINATOR}"'})
    base.ok("init", str(EXAMPLE), now="2021-05-01")
    base.ok("init", str(cantal), now="2021-05-01")
    path = tmp_path / "c.json"
    path.write_text(json.dumps(form(applicant={"department": "15", "kind": "commune",
                                               "population": 3500}, measure="3a",
                                    total_cost_eur="12000", requested_eur="8000"),
                               ensure_ascii=False), encoding="utf-8")
    reference = base.ok("dossier", "submit", str(path), "--guichet", "cantal-2021",
                        now="2021-05-03T10:00")
    assert reference == "CAN-2021-0001"
    base.ok("dossier", "start_instruction", reference, now="2021-05-10T10:00", actor=COORDINATOR)
    base.ok("dossier", "schedule", reference, "--session", "2021-07-06", now="2021-05-11T10:00",
            actor=COORDINATOR)
    # An instructor in Cantal: no session of Cantal is theirs to convene.
    refused = base("session", "convene", "2021-07-06", "--guichet", "cantal-2021",
                   now="2021-06-20T10:00", actor=COORDINATOR)
    assert refused.code == 1 and "coordinateur" in refused.err
    base.ok("session", "convene", "2021-06-22", "--guichet", "bretagne-2021",
            now="2021-06-15T10:00", actor=COORDINATOR)
    bzh = tmp_path / "b.json"
    bzh.write_text(json.dumps(form(), ensure_ascii=False), encoding="utf-8")
    breton = base.ok("dossier", "submit", str(bzh), "--guichet", "bretagne-2021",
                     now="2021-06-16T10:00")
    stranger = base("dossier", "start_instruction", breton, now="2021-06-17T10:00",
                    actor="coordination.pref15@example.org")
    assert stranger.code == 2 and "ni membre de l'équipe" in stranger.err
    base.ok("dossier", "start_instruction", breton, now="2021-06-17T10:00",
            actor=INSTRUCTOR["29"])


def test_the_refused_project_and_one_award_rules_hold_within_a_guichet(base, tmp_path):
    twin = _variant(tmp_path, EXAMPLE, "bzh-bis.toml",
                    **{'id = "bretagne-2021"': 'id = "bretagne-bis"',
                       'reference_prefix = "BZH"': 'reference_prefix = "BZB"'})
    base.ok("init", str(EXAMPLE), now="2021-05-01")
    base.ok("init", str(twin), now="2021-05-01")
    data = form()
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    refs = {}
    for guichet in ("bretagne-2021", "bretagne-bis"):
        refs[guichet] = base.ok("dossier", "submit", str(path), "--guichet", guichet,
                                now="2021-05-03T10:00")
        base.ok("dossier", "start_instruction", refs[guichet], now="2021-05-10T10:00",
                actor=INSTRUCTOR["29"])
        base.ok("dossier", "schedule", refs[guichet], "--session", "2021-06-22",
                now="2021-05-11T10:00", actor=INSTRUCTOR["29"])
        base.ok("session", "convene", "2021-06-22", "--guichet", guichet,
                now="2021-06-15T10:00", actor=COORDINATOR)
        base.ok("session", "open", "2021-06-22", "--guichet", guichet, now="2021-06-22T09:00",
                actor=COORDINATOR)
    assert refs == {"bretagne-2021": "BZH-2021-0001", "bretagne-bis": "BZB-2021-0001"}
    # The same commune is laureate in each guichet: the one-award rule counts one guichet's.
    for guichet in refs:
        base.ok("dossier", "accept", refs[guichet], "--amount", "10000", "--reason", "Bien",
                now="2021-06-22T10:00", actor=COORDINATOR)
    # A project refused in one guichet may still be filed in another.
    other = form(title="Un projet refusé ici")
    path.write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    refused = base.ok("dossier", "submit", str(path), "--guichet", "bretagne-2021",
                      now="2021-06-22T10:05")
    base.ok("dossier", "start_instruction", refused, now="2021-06-22T10:06",
            actor=INSTRUCTOR["29"])
    base.ok("dossier", "schedule", refused, "--session", "2021-09-14", now="2021-06-22T10:07",
            actor=INSTRUCTOR["29"])
    base.ok("session", "convene", "2021-09-14", "--guichet", "bretagne-2021",
            now="2021-09-05T10:00", actor=COORDINATOR)
    base.ok("session", "open", "2021-09-14", "--guichet", "bretagne-2021",
            now="2021-09-14T09:00", actor=COORDINATOR)
    base.ok("dossier", "refuse", refused, "--reason", "Non", now="2021-09-14T10:00",
            actor=COORDINATOR)
    again = base("dossier", "submit", str(path), "--guichet", "bretagne-2021",
                 now="2021-09-15T10:00")
    assert again.code == 1 and refused in again.err
    assert base.ok("dossier", "submit", str(path), "--guichet", "bretagne-bis",
                   now="2021-09-15T10:00") == "BZB-2021-0002"


def test_the_directorate_gets_one_list_of_every_guichet_and_the_consolidated_figures(two,
                                                                                     tmp_path):
    own = tmp_path / "cantal.csv"
    assert "1 lauréat " in two.ok("report", "monthly", "--month", "2021-07", "--output",
                                    str(own), "--guichet", "cantal-2021")
    path = tmp_path / "tous.csv"
    assert "2 lauréats " in two.ok("report", "monthly", "--month", "2021-07",
                                    "--all-guichets", "--output", str(path))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Guichet", "Référence"]
    assert [(r[0], r[1], r[5]) for r in rows[1:-1]] == [
        ("bretagne-2021", "BZH-2021-0001", "30000,00"), ("cantal-2021", "CAN-2021-0001",
                                                         "8000,00")]
    assert rows[-1][0] == "Total" and rows[-1][5] == "38000,00"
    assert own.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Référence;")
    book = tmp_path / "tous.xlsx"
    two.ok("report", "monthly", "--month", "2021-07", "--all-guichets", "--output", str(book))
    sheet = load_workbook(book).active
    assert [sheet.cell(2, column).value for column in (1, 2)] == ["Guichet", "Référence"]
    assert [sheet.cell(row, 1).value for row in (3, 4, 5)] == ["bretagne-2021", "cantal-2021",
                                                               "Total"]
    assert sheet.cell(5, 6).value == 38000
    stats = json.loads(two.ok("stats", "--json", "--all-guichets"))
    assert stats["laureates"] == 2 and stats["awarded_eur"] == "38000.00"
    assert stats["by_guichet"] == {"bretagne-2021": {"count": 1, "awarded_eur": "30000.00"},
                                   "cantal-2021": {"count": 1, "awarded_eur": "8000.00"}}
    assert stats["decisions"] == {"taken": 5, "accept": 2, "request_revision": 1, "refuse": 2}
    assert stats["envelopes"]["envelope_eur"] == "1438000.00"
    assert stats["envelopes"]["remaining_eur"] == "1400000.00"
    assert set(stats["envelopes"]["by_guichet"]) == {"bretagne-2021", "cantal-2021"}
    assert "Par guichet" in two.ok("stats", "--all-guichets")
    alone = json.loads(two.ok("stats", "--json", "--guichet", "cantal-2021"))
    assert alone["laureates"] == 1 and "by_guichet" not in alone
    both = two("stats", "--all-guichets", "--guichet", "cantal-2021")
    assert both.code == 2 and "--all-guichets" in both.err


def test_each_guichet_mails_from_its_own_address(two, monkeypatch):
    from tests.smtp_server import ScriptedHandler, SmtpServer

    handler = ScriptedHandler()
    with SmtpServer(handler) as server:
        monkeypatch.setenv("COMITE_SMTP_PORT", str(server.port))
        monkeypatch.delenv("COMITE_MAIL_FROM", raising=False)
        out = two.ok("outbox", "send", now="2021-10-30T10:00")
    assert out.startswith(f"{len(handler.received)} envoyés,") and len(handler.received) > 1
    senders = {(message["Subject"].split("]")[0] + "]").split("-")[0]: message["From"]
               for message in handler.received if message["Subject"].startswith("[")}
    assert "guichet.bretagne@example.org" in senders["[BZH"]
    assert "guichet.cantal@example.org" in senders["[CAN"]
    assert "0 envoyé," in two.ok("outbox", "send", now="2021-10-30T10:05")


def test_one_guichets_tick_and_delivery_leave_the_others_alone(base, tmp_path, monkeypatch):
    from tests.smtp_server import ScriptedHandler, SmtpServer

    both = (campaigns.bretagne(tmp_path), campaigns.cantal(tmp_path))
    campaigns.load(base, *both)
    assert "liste mensuelle des lauréats : 1" in base.ok("tick", "--guichet", "cantal-2021",
                                                         now="2021-05-31T18:00")
    queued = json.loads(base.ok("outbox", "list", "--json", "--guichet", "bretagne-2021"))
    assert queued == []
    assert "liste mensuelle des lauréats : 1" in base.ok("tick", now="2021-05-31T18:05")
    handler = ScriptedHandler()
    with SmtpServer(handler) as server:
        monkeypatch.setenv("COMITE_SMTP_PORT", str(server.port))
        base.ok("outbox", "send", "--guichet", "bretagne-2021", now="2021-06-01T09:00")
    assert handler.received and all("bretagne" in m["From"] for m in handler.received)
    waiting = json.loads(base.ok("outbox", "list", "--json", "--guichet", "cantal-2021"))
    assert waiting and {m["status"] for m in waiting} == {"queued"}
