"""What a person sees when the command line is used wrongly: exit 2, the option named, one line."""

from __future__ import annotations

import json

import pytest

from tests.helpers import COORDINATOR, INSTRUCTOR, form


@pytest.fixture
def submitted(cli, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(), ensure_ascii=False))
    return cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00")


@pytest.mark.parametrize(("args", "field"), [
    (["--now", "hier", "budget"], "--now"),
    (["dossier", "list", "--state", "perdu"], "--state"),
    (["dossier", "list", "--session", "22/13/2021"], "--session"),
    (["session", "show", "2021-06-23"], "DATE"),
    (["session", "show", "bientôt"], "DATE"),
    (["dossier", "show", "BZH-2099-0001"], "REF"),
])
def test_bad_options_exit_2_naming_the_option(cli, args, field):
    before = cli.digest()
    result = cli(*args)
    assert result.code == 2, result.err
    assert field in result.err and len(result.err.strip().splitlines()) == 1
    assert cli.digest() == before


@pytest.mark.parametrize(("args", "field"), [
    (["--amount", "beaucoup", "--reason", "r"], "--amount"),
    (["--amount", "12,345", "--reason", "r"], "--amount"),
    (["--session", "2021-06-22"], "--session"),
    (["--file", "x.json"], "--file"),
])
def test_event_options_are_checked_before_anything_is_written(cli, submitted, args, field):
    before = cli.digest()
    event = "accept" if field == "--amount" else "start_instruction"
    result = cli("dossier", event, submitted, *args, actor=COORDINATOR, now="2021-05-10T10:00")
    assert result.code == 2 and field in result.err
    assert cli.digest() == before


def test_a_missing_actor_is_named(cli, submitted):
    result = cli("dossier", "start_instruction", submitted, now="2021-05-10T10:00")
    assert result.code == 2 and "--actor" in result.err and "COMITE_ACTOR" in result.err


def test_the_actor_can_come_from_the_environment(cli, submitted, monkeypatch):
    monkeypatch.setenv("COMITE_ACTOR", INSTRUCTOR["29"])
    assert "instruction" in cli.ok("dossier", "start_instruction", submitted,
                                   now="2021-05-10T10:00")


def test_a_refusal_names_the_rule_and_the_events_allowed_now(cli, submitted):
    result = cli("dossier", "accept", submitted, "--amount", "100", "--reason", "r",
                 actor=COORDINATOR, now="2021-05-10T10:00")
    assert result.code == 1
    assert "déposé" in result.err and "start_instruction, withdraw" in result.err


def test_a_database_without_guichet_says_to_run_init(db_url, capsys, monkeypatch):
    from tests.cli import Cli

    result = Cli(db_url, capsys, monkeypatch)("budget")
    assert result.code == 2 and "comite init" in result.err


def test_show_json_carries_the_keys_scripts_rely_on(cli, submitted):
    shown = json.loads(cli.ok("dossier", "show", submitted, "--json"))
    assert set(shown) >= {"reference", "state", "revision", "measure", "department", "applicant",
                          "requested_eur", "awarded_eur", "session", "history", "reports"}
    assert shown["awarded_eur"] is None and shown["requested_eur"] == "36000.00"
    assert (shown["form"]["requested_eur"], shown["form"]["total_cost_eur"]) == ("36000.00",
                                                                                "48000.00")
    assert shown["history"][0]["data"]["requested_eur"] == "36000.00"
    assert set(shown["history"][0]) >= {"event", "from", "to", "at", "actor", "reason"}
    sessions = json.loads(cli.ok("session", "list", "--json"))
    assert set(sessions[0]) >= {"date", "state", "agenda_size"}
    budget = json.loads(cli.ok("budget", "--json"))
    assert set(budget) >= {"envelope_eur", "committed_eur", "remaining_eur", "by_department",
                           "by_measure"}


def test_diagram_prints_the_mermaid_state_diagram(cli):
    text = cli.ok("diagram")
    assert "stateDiagram-v2" in text and "committee --> accepted: accept" in text
