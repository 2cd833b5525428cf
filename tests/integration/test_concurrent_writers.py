"""Several writer processes racing on shared dossiers: no lost update, no locked base."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.helpers import ROOT, Desk, form
from workflow.db import UnitOfWork
from workflow.models import Audit, Dossier


@pytest.mark.parametrize(("writers", "attempts"), [(2, 300), (8, 60)])
def test_writers_racing_lose_no_update(engine, db_url, writers, attempts):
    desk = Desk(engine)
    references = [desk.submit(form()) for _ in range(120)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "concurrent_writer.py"), db_url, str(seed),
         str(attempts), *references], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env) for seed in range(writers)]
    results = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0] * writers, [err for _, err in results]
    counts = [json.loads(out) for out, _ in results]
    applied = sum(c["applied"] for c in counts)
    assert sum(c["locked"] for c in counts) == 0
    assert sum(sum(c.values()) for c in counts) == writers * attempts
    with UnitOfWork(engine) as uow:
        audits = uow.session.exec(select(func.count()).select_from(Audit)
                                  .where(Audit.event == "start_instruction")).one()
        instructed = uow.session.exec(select(func.count()).select_from(Dossier)
                                      .where(Dossier.state == "instruction")).one()
        versions = set(uow.session.exec(select(Dossier.version)
                                        .where(Dossier.state == "instruction")))
    assert applied == audits == instructed  # every applied event, once, and nothing lost
    assert versions == {2}
