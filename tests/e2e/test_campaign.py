"""A small Bretagne 2021-2022 campaign replayed through the command line with --now."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from tests.helpers import COMITE, COORDINATOR, EXAMPLE, INSTRUCTOR, form, report

C = COORDINATOR


def _file(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False))
    return str(path)


def test_guichet_show_is_the_bretagne_guichet(cli):
    shown = json.loads(cli.ok("guichet", "show", "--json"))
    assert shown["envelope_eur"] == "1188000.00"
    assert shown["envelopes"] == {"3d": "100000.00"}
    assert shown["funding_cap"] == "1.00" and shown["results_deadline"] == "2022-12-31"
    assert [d["code"] for d in shown["departments"]] == ["22", "29", "35", "56"]
    assert all(d["prefecture_contact"]["email"].endswith("@example.org")
               for d in shown["departments"])
    assert [(s["date"], s["moved_from"]) for s in shown["sessions"]] == [
        ("2021-06-22", None), ("2021-09-14", None), ("2021-10-19", "2021-11-04"),
        ("2022-02-08", None)]
    roles = [(s["role"], s["department"]) for s in shown["staff"]]
    assert roles.count(("coordinator", None)) == 1
    assert {d for r, d in roles if r == "instructor"} == {"22", "29", "35", "56"}
    assert shown["rules"]["one_individual_award"] is True
    assert [f["amount_eur"] for f in shown["rules"]["forfaits"]] == ["5000.00", "10000.00",
                                                                      "20000.00"]
    assert {e["code"] for e in shown["rules"]["exclusions"]} == {"urbanisme", "axe2", "etpt",
                                                                 "materiel"}


def test_init_is_idempotent_and_updates_a_changed_guichet(cli, tmp_path):
    assert "déjà à jour" in cli.ok("init", str(EXAMPLE))
    assert json.loads(cli.ok("guichet", "show", "--json"))["rules"]["forfaits"][0][
        "amount_eur"] == "5000.00"  # the settings as this process read them
    changed = EXAMPLE.read_text().replace('envelope_eur = "1188000"', 'envelope_eur = "1200000"')
    changed = changed.replace('amount_eur = "5000"', 'amount_eur = "6000"', 1)
    path = tmp_path / "changed.toml"
    path.write_text(changed)
    shutil.copy(EXAMPLE.parent / "convention.html.j2", tmp_path)  # the guichet's agreement
    assert "paramètres du guichet mis à jour" in cli.ok("init", str(path))
    assert json.loads(cli.ok("budget", "--json"))["envelope_eur"] == "1200000.00"
    # the same process reads the new settings, not the ones it read before
    assert json.loads(cli.ok("guichet", "show", "--json"))["rules"]["forfaits"][0][
        "amount_eur"] == "6000.00"


def test_each_transaction_reads_its_own_copy_of_the_guichet_settings(cli, db_url):
    from workflow import context
    from workflow.db import UnitOfWork, engine_for

    engine = engine_for(db_url)
    with UnitOfWork(engine) as uow:
        first = context.guichet(uow.session)
    first.row.settings["folder"] = "/ailleurs"  # what one reader does to its copy stays there
    with UnitOfWork(engine) as uow:
        second = context.guichet(uow.session)
    assert second.row.settings["folder"] != "/ailleurs"
    assert second.row.settings["toml"] == first.row.settings["toml"]


def test_a_campaign_replayed_with_now(cli, tmp_path):
    owners = {}
    refs = {}
    for key, dept, measure in (("a", "22", "3c"), ("b", "29", "3c"), ("c", "35", "3b"),
                               ("d", "56", "3c")):
        data = form(applicant={"department": dept}, measure=measure, title=f"Projet {key}")
        owners[key] = data["contact"]["email"]
        refs[key] = cli.ok("dossier", "submit", _file(tmp_path, f"{key}.json", data),
                           now="2021-05-03T10:00")
        cli.ok("dossier", "start_instruction", refs[key], now="2021-05-10T10:00",
               actor=INSTRUCTOR[dept])
        cli.ok("dossier", "schedule", refs[key], "--session", "2021-06-22",
               now="2021-05-11T10:00", actor=INSTRUCTOR[dept])
    assert refs["a"] == "BZH-2021-0001" and refs["d"] == "BZH-2021-0004"

    cli.ok("session", "convene", "2021-06-22", now="2021-06-16T10:00", actor=C)
    cli.ok("session", "open", "2021-06-22", now="2021-06-22T09:00", actor=C)
    cli.ok("dossier", "accept", refs["a"], "--amount", "30 000,00", "--reason", "Exemplaire",
           now="2021-06-22T10:00", actor=C)
    cli.ok("dossier", "request_revision", refs["b"], "--reason", "Associer les usagers",
           now="2021-06-22T10:10", actor=C)
    cli.ok("dossier", "refuse", refs["c"], "--reason", "Achat de matériel",
           now="2021-06-22T10:20", actor=C)
    cli.ok("dossier", "defer", refs["d"], "--session", "2021-09-14", "--reason", "Devis attendu",
           now="2021-06-22T10:30", actor=C)
    cli.ok("session", "close", "2021-06-22", now="2021-06-22T12:00", actor=C)

    agenda = json.loads(cli.ok("session", "show", "2021-06-22", "--json"))
    assert [(i["reference"], i["decision"]) for i in agenda["agenda"]] == [
        (refs["a"], "accept"), (refs["b"], "request_revision"), (refs["c"], "refuse"),
        (refs["d"], "defer")]
    said = cli.ok("session", "show", "2021-06-22")  # what was decided, as a history says it
    assert f"{refs['a']}  financement accordé" in said and f"{refs['c']}  non retenu" in said
    assert f"{refs['d']}  reporté à une session ultérieure" in said

    revised = form(applicant={"department": "29"}, title="Projet b révisé")
    revised["applicant"]["siren"] = json.loads(
        cli.ok("dossier", "show", refs["b"], "--json"))["applicant"]["siren"]
    cli.ok("dossier", "resubmit", refs["b"], "--file", _file(tmp_path, "b2.json", revised),
           now="2021-07-05T10:00", actor=owners["b"])
    cli.ok("dossier", "start_instruction", refs["b"], now="2021-07-06T10:00",
           actor=INSTRUCTOR["29"])
    cli.ok("dossier", "schedule", refs["b"], "--session", "2021-09-14", now="2021-07-07T10:00",
           actor=INSTRUCTOR["29"])
    cli.ok("session", "move", "2022-02-08", "2022-02-15", now="2021-07-08T10:00", actor=C)

    cli.ok("session", "convene", "2021-09-14", now="2021-09-08T10:00", actor=C)
    cli.ok("session", "open", "2021-09-14", now="2021-09-14T09:00", actor=C)
    cli.ok("dossier", "accept", refs["b"], "--amount", "20000", "--reason", "Bien revu",
           now="2021-09-14T10:00", actor=C)
    cli.ok("dossier", "accept", refs["d"], "--amount", "15000", "--reason", "Devis reçu",
           now="2021-09-14T10:10", actor=C)
    cli.ok("session", "close", "2021-09-14", now="2021-09-14T12:00", actor=C)

    i22 = INSTRUCTOR["22"]
    cli.ok("dossier", "send_agreement", refs["a"], now="2021-06-25T10:00", actor=i22)
    cli.ok("dossier", "sign_agreement", refs["a"], "--date", "2021-07-01", now="2021-07-02T10:00",
           actor=i22)
    for period, percent, now in (("2021-Q3", 30, "2021-10-05T10:00"),
                                 ("2021-Q4", 60, "2022-01-05T10:00"),
                                 ("2022-Q1", 100, "2022-04-05T10:00")):
        cli.ok("dossier", "submit_report", refs["a"], "--file",
               _file(tmp_path, f"r{period}.json", report(period=period, percent_done=percent)),
               now=now, actor=owners["a"])
    cli.ok("dossier", "complete", refs["a"], now="2022-04-10T10:00", actor=i22)
    cli.ok("dossier", "withdraw", refs["d"], "--reason", "Projet abandonné",
           now="2022-01-15T10:00", actor=owners["d"])

    budget = json.loads(cli.ok("budget", "--json"))
    assert (budget["committed_eur"], budget["remaining_eur"]) == ("50000.00", "1138000.00")
    assert budget["by_department"]["56"] == {"committed_eur": "0.00", "count": 0}

    listed = json.loads(cli.ok("dossier", "list", "--json"))
    assert [(d["reference"], d["state"]) for d in listed] == [
        (refs["a"], "completed"), (refs["b"], "accepted"), (refs["c"], "refused"),
        (refs["d"], "withdrawn")]
    assert set(listed[0]) >= {"reference", "state", "department", "measure", "applicant",
                              "session", "requested_eur", "awarded_eur"}
    assert [d["reference"] for d in json.loads(cli.ok("dossier", "list", "--state", "refused",
                                                      "--json"))] == [refs["c"]]
    assert [d["reference"] for d in json.loads(cli.ok("dossier", "list", "--department", "29",
                                                      "--json"))] == [refs["b"]]

    shown = json.loads(cli.ok("dossier", "show", refs["a"], "--json"))
    assert [h["event"] for h in shown["history"]] == [
        "submit", "start_instruction", "schedule", "accept", "send_agreement", "sign_agreement",
        "submit_report", "submit_report", "submit_report", "complete"]
    assert shown["history"][3]["at"] == "2021-06-22T10:00:00+02:00"
    assert shown["history"][3]["actor"] == C and shown["history"][3]["reason"] == "Exemplaire"
    assert [r["period"] for r in shown["reports"]] == ["2021-Q3", "2021-Q4", "2022-Q1"]
    sessions = json.loads(cli.ok("session", "list", "--json"))
    assert [(s["date"], s["state"]) for s in sessions] == [
        ("2021-06-22", "closed"), ("2021-09-14", "closed"), ("2021-10-19", "planned"),
        ("2022-02-15", "planned")]

    # The prefecture's documents, from the same base (SQLite or PostgreSQL).
    # September's list as it was sent: d, withdrawn in January, was still a laureate.
    assert "3 lauréats " in cli.ok("report", "monthly", "--month", "2021-09", "--output",
                                    str(tmp_path / "septembre.csv"))
    lines = (tmp_path / "septembre.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines[1:-1]] == [refs["a"], refs["b"], refs["d"]]
    assert lines[-1].startswith("Total;") and "65000,00" in lines[-1]
    assert "2 lauréats " in cli.ok("report", "monthly", "--month", "2022-01", "--output",
                                    str(tmp_path / "janvier.csv"))
    assert "figé" in cli.ok("session", "minutes", "2021-09-14", "--output",
                            str(tmp_path / "pv.html"))
    assert refs["b"] in (tmp_path / "pv.html").read_text()
    stats = json.loads(cli.ok("stats", "--json"))
    assert stats["laureates"] == 2

    refiled = cli("dossier", "submit", _file(tmp_path, "c-again.json",
                                             _refused_form(cli, refs["c"])),
                  now="2022-01-20T10:00")
    assert refiled.code == 1 and refs["c"] in refiled.err


def _refused_form(cli, reference):
    data = json.loads(cli.ok("dossier", "show", reference, "--json"))["form"]
    data["signed_on"] = "2022-01-19"
    return data


def test_the_installed_command_never_shows_a_traceback(db_url):
    env = {**os.environ, "COMITE_DATABASE_URL": db_url,
           "COMITE_NOW": "2021-05-01T09:00", "COMITE_ACTOR": C}
    done = subprocess.run([*COMITE, "init", str(EXAMPLE)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*COMITE, "session", "convene", "2021-06-22"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "convoquée" in done.stdout
    done = subprocess.run([*COMITE, "session", "open", "2021-06-22"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "qu'à sa date" in done.stderr


def test_a_guichet_names_its_own_templates_folder(tmp_path, db_url, capsys, monkeypatch):
    from tests.cli import Cli

    folder = tmp_path / "guichet"
    (folder / "gabarits").mkdir(parents=True)
    (folder / "gabarits" / "submitted.subject.j2").write_text("[{{ reference }}] Bien reçu !\n")
    toml = EXAMPLE.read_text().replace('mail_domain = "comite.example.org"',
                                       'mail_domain = "comite.example.org"\ntemplates = "gabarits"')
    (folder / "guichet.toml").write_text(toml)
    shutil.copy(EXAMPLE.parent / "convention.html.j2", folder)
    cli = Cli(db_url, capsys, monkeypatch)
    cli.ok("init", str(folder / "guichet.toml"))
    reference = cli.ok("dossier", "submit", _file(tmp_path, "d.json", form()),
                       now="2021-05-03T10:00")
    [message] = json.loads(cli.ok("outbox", "list", "--json"))
    assert message["subject"] == f"[{reference}] Bien reçu\u202f!"  # typography applies to it too
