"""What a clumsy or hostile user, a bad file or a bad day cannot break."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date

import pytest

from tests.helpers import COMITE, COORDINATOR, EXAMPLE, INSTRUCTOR, form, report

I29 = INSTRUCTOR["29"]


@pytest.fixture
def submitted(cli, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(), ensure_ascii=False))
    return cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00")


@pytest.mark.parametrize("system", ["system", "SYSTEM", " system "])
@pytest.mark.parametrize("event", [["withdraw", "--reason", "x"], ["start_instruction"]])
def test_nobody_can_act_as_the_engine(cli, submitted, system, event, monkeypatch):
    before = cli.digest()
    result = cli("dossier", event[0], submitted, *event[1:], actor=system, now="2021-05-10T10:00")
    assert result.code == 2 and "--actor" in result.err
    monkeypatch.setenv("COMITE_ACTOR", system)
    assert cli("dossier", event[0], submitted, *event[1:], now="2021-05-10T10:00").code == 2
    assert cli.digest() == before


def test_an_event_dated_before_the_last_one_is_refused(cli, submitted):
    cli.ok("dossier", "start_instruction", submitted, now="2021-05-10T10:00", actor=I29)
    before = cli.digest()
    result = cli("dossier", "withdraw", submitted, "--reason", "x", now="2021-05-09T10:00",
                 actor=I29)
    assert result.code == 1 and "antérieure au dernier événement" in result.err
    assert cli.digest() == before


@pytest.mark.parametrize("reason", ["Projet abandonné\u202e", "Abandon\x1b[2J", "Abandon\x7f"])
def test_a_motivation_with_a_control_character_is_bad_input(cli, submitted, reason):
    before = cli.digest()
    result = cli("dossier", "withdraw", submitted, "--reason", reason, now="2021-05-10T10:00",
                 actor=I29)
    assert result.code == 2 and "--reason : caractère de contrôle" in result.err
    assert cli.digest() == before
    cli.ok("dossier", "withdraw", submitted, "--reason", "Projet abandonné\nsur deux lignes",
           now="2021-05-10T10:00", actor=I29)


def test_a_motivation_longer_than_two_pages_is_bad_input_and_one_at_the_bound_is_kept(
        cli, submitted):
    from workflow.forms import MAX_MOTIVATION

    before = cli.digest()
    result = cli("dossier", "withdraw", submitted, "--reason", "a" * (MAX_MOTIVATION + 1),
                 now="2021-05-10T10:00", actor=I29)
    assert result.code == 2
    assert f"--reason : la motivation fait {MAX_MOTIVATION + 1} caractères" in result.err
    assert cli.digest() == before
    cli.ok("dossier", "withdraw", submitted, "--reason", "a" * MAX_MOTIVATION,
           now="2021-05-10T10:00", actor=I29)
    shown = json.loads(cli.ok("dossier", "show", submitted, "--json"))
    assert shown["history"][-1]["reason"] == "a" * MAX_MOTIVATION


def test_revoking_links_checks_its_motivation_as_every_event_does(cli, submitted):
    before = cli.digest()
    for reason in ("Fuite\u202e", "b" * 5001):
        result = cli("dossier", "revoke-links", submitted, "--reason", reason, actor=COORDINATOR)
        assert result.code == 2 and "--reason : " in result.err, result.err
    assert cli.digest() == before
    cli.ok("dossier", "revoke-links", submitted, "--reason", "Lien transféré\npar erreur",
           actor=COORDINATOR)
    shown = json.loads(cli.ok("dossier", "show", submitted, "--json"))
    assert shown["history"][-1]["reason"] == "Lien transféré\npar erreur"


def test_a_terminal_that_cannot_print_accents_still_tells_the_truth(db_url, tmp_path):
    env = {**os.environ, "COMITE_DATABASE_URL": db_url, "PYTHONIOENCODING": "latin-1"}
    subprocess.run([*COMITE, "init", str(EXAMPLE)], env=env, check=True, capture_output=True)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(), ensure_ascii=False))
    reference = subprocess.run([*COMITE, "--now", "2021-05-03T10:00", "dossier", "submit",
                                str(path)], env=env, check=True, capture_output=True,
                               encoding="latin-1").stdout.strip()
    done = subprocess.run([*COMITE, "--now", "2021-05-10T10:00", "dossier", "start_instruction",
                           reference, "--actor", I29], env=env, capture_output=True, encoding="latin-1")
    assert done.returncode == 0, done.stderr
    assert "\\u2192" in done.stdout and "Traceback" not in done.stderr  # « → » has no latin-1
    shown = subprocess.run([*COMITE, "dossier", "show", reference, "--json"], env=env,
                           capture_output=True, encoding="latin-1", check=True)
    assert json.loads(shown.stdout)["state"] == "instruction"
    refused = subprocess.run([*COMITE, "--now", "2021-05-11T10:00", "dossier", "accept", reference,
                              "--amount", "1", "--reason", "r", "--actor", COORDINATOR], env=env,
                             capture_output=True, encoding="latin-1")
    assert refused.returncode == 1 and "Actions possibles" in refused.stderr


def test_a_signature_before_the_decision_is_refused(desk):
    from states.machine import EventRefused

    reference = desk.accepted()
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    desk.fire("send_agreement", reference, actor=I29, now="2021-06-25 10:00")
    for day in (date(2021, 6, 1), date(21, 6, 22)):
        with pytest.raises(EventRefused, match="précède la décision du comité"):
            desk.fire("sign_agreement", reference, actor=I29, now="2021-07-02 10:00",
                      signed_on=day)
    assert desk.show(reference)["state"] == "agreement"


def test_one_row_that_fails_never_stops_the_calendar(desk, monkeypatch):
    from sqlmodel import select

    from notifications.render import render
    from schedules import jobs
    from tests.helpers import at
    from workflow.db import UnitOfWork
    from workflow.models import Dossier
    from workflow.records import DueWork

    first, second = desk.scheduled(), desk.scheduled(form(title="Un autre projet"))
    desk.held()
    for reference in (first, second):
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00",
                  amount=1_000_000, reason="Projet exemplaire")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    for reference in (first, second):
        desk.fire("send_agreement", reference, actor=I29, now="2021-06-25 10:00")
        desk.fire("sign_agreement", reference, actor=I29, now="2021-07-02 10:00",
                  signed_on=date(2021, 7, 1))
    with UnitOfWork(desk.engine) as uow:
        target = uow.session.exec(select(Dossier.id).where(Dossier.reference == first)).one()
    reminder = jobs.JOBS["report_reminder"]

    def poisoned(uow, loaded, row, now):
        if row.dossier_id == target:
            raise ValueError("données incohérentes")
        return reminder(uow, loaded, row, now)

    monkeypatch.setitem(jobs.JOBS, "report_reminder", poisoned)
    told: list[str] = []
    done = jobs.tick(desk.engine, now=at("2021-10-08 09:00"), render=render, report=told.append)
    assert done["failed"] == 1 and done["report_reminder"] == 1
    failures = [line for line in told if "en échec" in line]
    assert len(failures) == 1 and failures[0].startswith("report_reminder (tâche n°")
    assert failures[0].endswith(" : en échec, données incohérentes")
    with UnitOfWork(desk.engine) as uow:
        rows = {(r.dossier_id, r.status, r.error) for r in uow.session.exec(
            select(DueWork).where(DueWork.kind == "report_reminder", DueWork.period == "2021-Q3"))}
    assert (target, "failed", "ValueError: données incohérentes") in rows
    assert sum(status == "done" for _, status, _ in rows) == 1
    assert [m.reference for m in desk.outbox() if m.kind == "report_due"] == [second]
    again = jobs.tick(desk.engine, now=at("2021-10-08 10:00"), render=render)
    assert again["failed"] == 0  # a failed row waits for someone to look, it is not retried


def _text_of(**changes):
    return json.dumps(merge_form(**changes), ensure_ascii=False)


def merge_form(**changes):
    data = form()
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = data
        for part in parents:
            target = target[part]
        target[last] = value
    return data


BAD_FORMS = [
    ("applicant.population", _text_of().replace('"population": 18500', '"population": 1e309')),
    ("applicant.population", _text_of(applicant__population=True)),
    ("applicant.population", _text_of(applicant__population=10**12)),
    ("requested_eur", _text_of(requested_eur="100000000000000000")),
    ("requested_eur", _text_of(requested_eur="١٠٠٠")),
    ("requested_eur", _text_of(requested_eur="５０００")),
    ("requested_eur", _text_of(requested_eur="1_000")),
    ("total_cost_eur", _text_of(total_cost_eur=10**17)),
    ("applicant.siren", _text_of(applicant__siren="２１２９０００９１")),
    ("commitment", _text_of(commitment="true")),
    ("commitment", _text_of(commitment=1)),
    ("title", _text_of(title="Portail \u202eliatrop")),
    ("title", _text_of(title="Portail\r\nBcc: x@example.org")),
    ("applicant.name", _text_of(applicant__name="Ville\x00de Kerbras")),
    ("end_date", _text_of(end_date="9999-12-31")),
    ("signed_on", _text_of(signed_on="0001-01-01")),
    ("JSON imbriqué", "[" * 100_000 + "]" * 100_000),
    ("NaN", _text_of().replace('"population": 18500', '"population": NaN')),
    ("JSON invalide", '{"population": ' + "9" * 5000 + "}"),
]


@pytest.mark.parametrize(("named", "text"), BAD_FORMS, ids=[f"{n}-{i}" for i, (n, _) in
                                                           enumerate(BAD_FORMS)])
def test_a_bad_form_is_bad_input_naming_the_field_and_writes_nothing(cli, tmp_path, named, text):
    path = tmp_path / "d.json"
    path.write_text(text, encoding="utf-8")
    before = cli.digest()
    result = cli("dossier", "submit", str(path), now="2021-05-03T10:00")
    assert result.code == 2, result.err
    assert named in result.err and "erreur interne" not in result.err
    assert cli.digest() == before


def test_a_form_with_a_bom_is_read_and_one_not_in_utf8_says_where(cli, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + _text_of().encode("utf-8"))
    assert cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00").startswith("BZH-")
    latin = tmp_path / "latin.json"
    latin.write_bytes(_text_of().encode("latin-1", errors="replace"))
    result = cli("dossier", "submit", str(latin), now="2021-05-03T10:00")
    assert result.code == 2 and "pas en UTF-8 (octet" in result.err


@pytest.mark.parametrize("command", [["init"], ["dossier", "submit"]])
def test_a_file_with_no_end_is_refused_without_being_held_in_memory(cli, tmp_path, command):
    large = tmp_path / "large.json"
    large.write_bytes(b" " * 1_000_001)
    before = cli.digest()
    for path in ("/dev/zero", str(large)):
        result = cli(*command, path)
        assert result.code == 2 and f"{path} : fichier trop gros (plus de 1000 ko)" in result.err
    assert cli.digest() == before


@pytest.mark.parametrize(("args", "named"), [
    (["outbox", "retry", str(2**70)], "ID"),
    (["outbox", "retry", "--", str(-2**70)], "ID"),
    (["token", "revoke", "--actor", COORDINATOR, str(2**70)], "ID"),
    (["webhook", "retry", str(2**63)], "ID"),
    (["--now", "9999-12-31", "budget"], "--now"),
    (["--now", "0001-01-01T10:00", "budget"], "--now"),
    (["report", "monthly", "--month", "9999-12", "--output", "x.csv"], "--month"),
    (["dossier", "list", "--session", "0001-01-01"], "--session"),
])
def test_numbers_and_dates_the_engine_cannot_hold_are_bad_input(cli, args, named):
    before = cli.digest()
    result = cli(*args)
    assert result.code == 2 and named in result.err and "erreur interne" not in result.err
    assert cli.digest() == before


@pytest.mark.parametrize(("old", "new", "named"), [
    ('reminder_time = "08:00"', 'reminder_time = "25:99"', "calendar.reminder_time"),
    ('monthly_list_time = "16:00"', 'monthly_list_time = "abc"', "calendar.monthly_list_time"),
    ('mail_from = "Guichet numérique Bretagne <guichet.bretagne@example.org>"',
     'mail_from = "Guichet <g@example.org>\\r\\nBcc: x@example.org"', "smtp.mail_from"),
    ('envelope_eur = "1188000"', 'envelope_eur = "-1"', "guichet.envelope_eur"),
    ('"3d" = "100000"', '"3d" = "0"', "guichet.envelopes.3d"),
    ('code = "56"', 'code = "22"', "departments[3].code"),
    ('email = "membre.tilab@example.org"', 'email = "Membre.DINUM@example.org"', "staff[7].email"),
    # what goes into headers, a connection or every decision email: one clean line, or text
    ('mail_domain = "comite.example.org"', 'mail_domain = "x.example.org\\r\\nBcc: y"',
     "guichet.mail_domain"),
    ('host = "127.0.0.1"', 'host = "127.0.0.1\\u0000"', "smtp.host"),
    ('host = "127.0.0.1"', 'host = "127.0.0.1"\nusername = "relais\\u001b"', "smtp.username"),
    ('resubmit_within_days = 60', 'appeal = "Recours\\u202e possible"', "decisions.appeal"),
    ('template = "convention.html.j2"', 'template = "convention\\u0000.html.j2"',
     "agreement.template"),
    # names no file can have: refused, not an error of the system
    ('template = "convention.html.j2"', f'template = "{"c" * 290}.j2"', "agreement.template"),
    ('timezone = "Europe/Paris"', f'timezone = "{"x" * 290}"', "guichet.timezone"),
])
def test_a_guichet_file_is_checked_before_anything_is_written(cli, tmp_path, old, new, named):
    import shutil

    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "guichet.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    shutil.copy(EXAMPLE.parent / "convention.html.j2", tmp_path)
    before = cli.digest()
    result = cli("init", str(path))
    assert result.code == 2 and named in result.err, result.err
    assert "erreur interne" not in result.err and "pattern" not in result.err
    assert cli.digest() == before


def test_an_envelope_cannot_shrink_below_what_is_committed(desk):
    from tests.helpers import at
    from workflow import guichet, loading
    from workflow.db import UnitOfWork
    from workflow.errors import Refused

    desk.accepted(amount=3_000_000)
    config, text = guichet.read(EXAMPLE)
    text = text.replace('envelope_eur = "1188000"', 'envelope_eur = "20000"')
    smaller = guichet.parse_text(text)
    with UnitOfWork(desk.engine, write=True) as uow, pytest.raises(Refused) as refused:
        loading.load(uow, smaller, text, now=at("2021-06-23 10:00"), folder=str(EXAMPLE.parent))
    assert "20\u202f000,00 €" in str(refused.value) and "30\u202f000,00 €" in str(refused.value)
    assert desk.budget()["envelope_eur"] == "1188000.00"


@pytest.mark.parametrize("title", ["Pоrtail citoyen et prise de rendez-vous",  # Cyrillic о
                                   "ＰＯＲＴＡＩＬ citoyen et prise de rendez-vous",
                                   "Portail citoyen et prise de rendez-vous"])
def test_a_refused_project_cannot_come_back_under_a_look_alike_title(desk, title):
    from workflow.errors import Refused

    data = form()
    reference = desk.scheduled(data)
    desk.held()
    desk.fire("refuse", reference, actor=COORDINATOR, now="2021-06-22 10:00", reason="Hors champ")
    with pytest.raises(Refused, match=reference):
        desk.submit(dict(data, title=title), now="2021-07-01 10:00")


@pytest.mark.parametrize("where", ["missing/juin.csv", "folder.csv", "missing/pv.html", "pv.html/"])
def test_output_where_it_cannot_go_is_named_and_leaves_nothing(cli, tmp_path, where):
    folder = tmp_path / "out"
    (folder / "folder.csv").mkdir(parents=True)
    (folder / "pv.html").mkdir()
    output = str(folder / where)
    command = (["report", "monthly", "--month", "2021-06", "--output", output] if ".csv" in where
               else ["session", "minutes", "2021-06-22", "--output", output])
    result = cli(*command)
    assert result.code == 2 and "--output" in result.err and "impossible d'écrire" in result.err
    assert sorted(p.name for p in folder.iterdir()) == ["folder.csv", "pv.html"]


def test_a_full_disk_leaves_no_partial_file(cli, tmp_path, monkeypatch):
    import errno

    from reports import monthly

    def full(report, path):
        path.write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(monthly, "to_xlsx", full)
    folder = tmp_path / "out"
    folder.mkdir()
    result = cli("report", "monthly", "--month", "2021-06", "--output", str(folder / "juin.xlsx"))
    assert result.code == 2 and "No space left on device" in result.err and "juin.xlsx" in result.err
    assert list(folder.iterdir()) == []
    out = cli.ok("report", "monthly", "--month", "2021-06", "--output", str(folder / "juin.csv"))
    assert "juin.csv" in out and (folder / "juin.csv").stat().st_mode & 0o044  # readable by all


@pytest.mark.parametrize(("name", "content", "said"), [
    ("export.xlsx", b"ceci n'est pas un classeur", "pas un classeur XLSX"),
    ("export.csv", b"", "le fichier est vide"),
    ("export.xlsx", b"", "le fichier est vide"),
    ("export.csv", "ID,Email,État du dossier\n".encode(), "aucun dossier"),
    ("export.csv", "ID,Email\n41001,\xe9\n".encode("latin-1"), "pas en UTF-8 (octet"),
])
def test_an_import_of_something_that_is_no_export_is_refused(cli, tmp_path, name, content, said):
    path = tmp_path / name
    path.write_bytes(content)
    before = cli.digest()
    result = cli("dossier", "import", str(path), now="2021-05-25T09:00")
    assert result.code == 2 and said in result.err and "importé" not in result.err.split(":")[0]
    assert cli.digest() == before


@pytest.mark.parametrize(("url", "said"), [
    ("foo://x", "type de base inconnu « foo »"),
    ("mysql://u@127.0.0.1/db", "pilote de « mysql » n'est pas installé"),
    ("{tmp}", "est un dossier"),
    ("sqlite:///{tmp}/absent/x.db", "n'existe pas"),
    ("{tmp}/not-a-db.db", "n'est pas une base comite lisible"),
    ("{tmp}/truncated.db", "n'est pas une base comite lisible"),
])
def test_a_db_that_names_no_usable_base_is_bad_usage(tmp_path, capsys, monkeypatch, url, said):
    import sqlite3

    from tests.cli import Cli

    (tmp_path / "not-a-db.db").write_text("bonjour\n" * 200)
    whole = tmp_path / "whole.db"
    with sqlite3.connect(whole) as connection:
        connection.execute("CREATE TABLE guichet (id TEXT, name TEXT)")
        connection.executemany("INSERT INTO guichet VALUES (?, ?)",
                               [(str(i), "x" * 500) for i in range(200)])
    connection.close()
    (tmp_path / "truncated.db").write_bytes(whole.read_bytes()[:6000])
    result = Cli(url.format(tmp=tmp_path), capsys, monkeypatch)("budget")
    assert result.code == 2 and "--db" in result.err and said in result.err, result.err


def test_what_a_message_quotes_reaches_the_terminal_as_escapes_not_as_controls(cli):
    for args in (["dossier", "show", "BZH-2021-\x1b[2J"], ["--now", "2021\x1b[2J", "budget"],
                 ["dossier", "list", "--state", "\u202eperdu"]):
        result = cli(*args)
        assert result.code == 2 and "\x1b" not in result.err and "\u202e" not in result.err
        assert "\\x1b[2J" in result.err or "\\u202e" in result.err, result.err


def test_an_argument_that_is_not_utf8_is_named(cli):
    result = cli("dossier", "show", "BZH-2021-\udcff")
    assert result.code == 2 and "n'est pas du texte UTF-8 valide" in result.err


@pytest.mark.parametrize("name", ["COMITE_ACTOR", "COMITE_GUICHET"])
def test_an_environment_variable_that_is_not_utf8_is_named(cli, submitted, monkeypatch, name):
    before = cli.digest()
    monkeypatch.setenv(name, "\udcff@example.org")  # the byte 0xff, as Python reads it
    result = cli("dossier", "start_instruction", submitted, now="2021-05-10T10:00")
    assert result.code == 2, result.err
    assert f"la variable {name} n'est pas du texte UTF-8 valide (octet 0)" in result.err
    assert cli.digest() == before


def test_a_read_only_base_says_so_for_events_and_init(cli, submitted, tmp_path, capsys, monkeypatch):
    from tests.cli import Cli

    if not isinstance(cli.db, str) or not cli.db.startswith("sqlite"):
        pytest.skip("read-only opening is a SQLite URI option")
    import shutil

    path = cli.db.removeprefix("sqlite:///")
    read_only = Cli(f"sqlite:///file:{path}?mode=ro&uri=true", capsys, monkeypatch)
    changed = tmp_path / "changed.toml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        'envelope_eur = "1188000"', 'envelope_eur = "1200000"'), encoding="utf-8")
    shutil.copy(EXAMPLE.parent / "convention.html.j2", tmp_path)
    before = cli.digest()
    for args in (["dossier", "withdraw", submitted, "--reason", "x"], ["init", str(changed)]):
        result = read_only(*args, now="2021-05-10T10:00", actor=I29 if args[0] == "dossier" else None)
        assert result.code == 2 and "lecture seule" in result.err, result.err
    assert cli.digest() == before


@pytest.mark.parametrize(("field", "value"), [("signed_on", "2015-05-03"),
                                              ("end_date", "2030-01-01")])
def test_a_form_dated_outside_the_programme_years_is_refused(cli, tmp_path, field, value):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(**{field: value}), ensure_ascii=False))
    before = cli.digest()
    result = cli("dossier", "submit", str(path), now="2021-05-03T10:00")
    assert result.code == 2 and field in result.err and "hors des années du programme" in result.err
    assert "du 01/01/2019 au 31/12/2025" in result.err  # the deadline's year, ± 3
    assert cli.digest() == before


def test_the_guichet_file_sets_the_programme_years(tmp_path):
    from workflow.guichet import parse_text

    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'results_deadline = 2022-12-31', 'results_deadline = 2022-12-31\nfirst_day = 2021-01-01\n'
        'last_day = 2023-06-30')
    assert parse_text(text).programme_years == (date(2021, 1, 1), date(2023, 6, 30))


def test_a_failed_init_on_a_fresh_base_leaves_no_schema(tmp_path, capsys, monkeypatch):
    import sqlite3

    from tests.cli import Cli

    bad = tmp_path / "guichet.toml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace('reminder_time = "08:00"',
                                                              'reminder_time = "25:99"'))
    base = tmp_path / "fresh.db"
    result = Cli(base, capsys, monkeypatch)("init", str(bad))
    assert result.code == 2 and "calendar.reminder_time" in result.err
    if base.exists():
        with sqlite3.connect(base) as connection:
            tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
        connection.close()
        assert tables == []


def test_a_report_announcing_an_end_outside_the_programme_years_is_refused(desk):
    from workflow.errors import InvalidInput

    reference = desk.in_follow_up()
    with pytest.raises(InvalidInput, match="end_date.*hors des années du programme"):
        desk.fire("submit_report", reference, actor=I29, now="2021-10-05 10:00",
                  data=report(period="2021-Q3", end_date="2031-12-31"), file=None)


def test_a_reader_that_goes_away_is_no_error(db_url):
    env = {**os.environ, "COMITE_DATABASE_URL": db_url}
    subprocess.run([*COMITE, "init", str(EXAMPLE)], env=env, check=True, capture_output=True)
    child = subprocess.Popen([*COMITE, "guichet", "show", "--json"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # like `| head -0`, before the command prints anything
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0 and b"Traceback" not in err and b"erreur interne" not in err


def test_a_write_whose_reader_went_away_exits_0_because_it_was_written(db_url, tmp_path):
    env = {**os.environ, "COMITE_DATABASE_URL": db_url}
    subprocess.run([*COMITE, "init", str(EXAMPLE)], env=env, check=True, capture_output=True)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(), ensure_ascii=False))
    child = subprocess.Popen([*COMITE, "--now", "2021-05-03T10:00", "dossier", "submit", str(path)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    child.communicate(timeout=60)
    listed = subprocess.run([*COMITE, "dossier", "list", "--json"], env=env, check=True,
                            capture_output=True, text=True).stdout
    assert child.returncode == 0 and len(json.loads(listed)) == 1
