"""Two people acting on one dossier at the same moment, as two real processes."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.helpers import COMITE, COORDINATOR, Desk


def _race(db_url: str, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "COMITE_DATABASE_URL": db_url, "COMITE_NOW": "2021-06-22T10:00",
           "COMITE_ACTOR": COORDINATOR}
    started = [subprocess.Popen([*COMITE, *command], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for command in commands]
    results = []
    for process, command in zip(started, commands, strict=True):
        out, err = process.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


@pytest.fixture
def in_committee(engine, db_url):
    desk = Desk(engine)
    reference = desk.scheduled()
    desk.held()
    return desk, reference


def test_two_decisions_from_the_same_version_one_wins_the_other_gets_a_conflict(in_committee,
                                                                                 db_url):
    desk, reference = in_committee
    version = str(desk.show(reference)["version"])
    audits = desk.audit_count()
    results = _race(
        db_url,
        ["dossier", "accept", reference, "--amount", "1000", "--reason", "oui",
         "--if-version", version],
        ["dossier", "refuse", reference, "--reason", "non", "--if-version", version],
    )
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1], [r.stderr for r in results]
    loser = next(r for r in results if r.returncode == 1)
    assert "conflit" in loser.stderr and "Traceback" not in loser.stderr
    assert "locked" not in loser.stderr
    assert desk.audit_count() == audits + 1
    assert desk.show(reference)["version"] == int(version) + 1


def test_two_identical_accepts_at_once_commit_one_award(in_committee, db_url):
    desk, reference = in_committee
    command = ["dossier", "accept", reference, "--amount", "1000", "--reason", "oui"]
    results = _race(db_url, command, command)
    assert sorted(r.returncode for r in results) == [0, 1]
    loser = next(r for r in results if r.returncode == 1)
    assert "accepté" in loser.stderr and "Actions possibles maintenant" in loser.stderr
    assert desk.budget()["committed_eur"] == "1000.00"
    assert [h["event"] for h in desk.show(reference)["history"]].count("accept") == 1
