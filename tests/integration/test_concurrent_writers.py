"""Several writer processes typing commands on shared dossiers: no lost update, no locked base.

Each writer reads a dossier and fires the next event of its path with `--if-version`; a writer
whose read went stale must be told so (exit 1, "conflit") and nothing of its attempt written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from notifications.render import render
from tests.helpers import ROOT, at, form
from workflow.db import UnitOfWork
from workflow.dossiers import submit
from workflow.models import Audit, Dossier
from workflow.records import Outbox

EVENTS = 500
PATH = ["start_instruction", "schedule", "defer", "withdraw"]
MAILS = ["instruction_started", "scheduled", "deferred", "withdrawn"]


def _submit_many(engine, count: int) -> list[str]:
    with UnitOfWork(engine, write=True, render=render) as uow:
        references = [submit(uow, data=form(applicant={"department": "29"}), file=None,
                             actor=None, now=at("2021-05-03 10:00")).reference
                      for _ in range(count)]
        uow.commit()
    return references


@pytest.mark.parametrize("writers", [2, 8])
def test_writers_racing_lose_no_update_and_every_loser_is_told_of_the_conflict(engine, db_url,
                                                                                writers):
    # Six events per dossier: enough dossiers that nobody runs out, few enough that they collide.
    references = _submit_many(engine, writers * EVENTS // 4)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "concurrent_writer.py"), db_url, str(seed),
         str(EVENTS), *references], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env) for seed in range(writers)]
    for process in processes:  # every writer imported: they start together
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [p.communicate(timeout=900) for p in processes]
    assert [p.returncode for p in processes] == [0] * writers, [err for _, err in results]
    counts = [json.loads(out) for out, _ in results]
    applied = sum(c["applied"] for c in counts)
    losers = [loser for c in counts for loser in c["losers"]]

    assert applied + len(losers) == writers * EVENTS  # every writer made all its attempts
    for loser in losers:
        assert loser["code"] == 1 and loser["stderr"].startswith("comite : conflit"), loser
        assert "locked" not in loser["stderr"] and "Traceback" not in loser["stderr"]
    with UnitOfWork(engine) as uow:
        audits = uow.session.exec(select(func.count()).select_from(Audit)
                                  .where(col(Audit.event).in_(PATH))).one()
        versions = uow.session.exec(select(func.sum(Dossier.version - 1))).one()
        mails = uow.session.exec(select(func.count()).select_from(Outbox)
                                 .where(col(Outbox.kind).in_(MAILS))).one()
    # Each applied event is one audit row, one new version and one email; a loser wrote nothing.
    assert applied == audits == versions == mails
    assert applied > 0 and losers, "the writers never collided: the test proved nothing"

