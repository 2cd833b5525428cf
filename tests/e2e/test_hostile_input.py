"""What a clumsy or hostile user, a bad file or a bad day cannot break."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date

import pytest

from tests.helpers import COMITE, COORDINATOR, EXAMPLE, INSTRUCTOR, form

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
    from workflow.models import Dossier, DueWork

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
