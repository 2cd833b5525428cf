"""A guichet of another shape (one département's prefecture): its own rules, sessions, emails."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from tests.cli import Cli
from tests.helpers import ROOT, form
from workflow.db import UnitOfWork, engine_for
from workflow.records import Outbox

CANTAL = ROOT / "examples" / "cantal-2021.toml"
COORDINATOR, INSTRUCTOR = "coordination.pref15@example.org", "instructeur.15@example.org"


@pytest.fixture
def cantal(db_url, capsys, monkeypatch):
    for name in ("COMITE_ACTOR", "COMITE_NOW", "COMITE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    cli = Cli(db_url, capsys, monkeypatch)
    assert "guichet « cantal-2021 » créé" in cli.ok("init", str(CANTAL))
    return cli


def _laureate_form():
    return form(applicant={"department": "15", "name": "Commune de Salers-Test", "kind": "commune",
                           "population": 3500},
                measure="3a", title="Accompagnement par un expert du numérique",
                total_cost_eur="12000", requested_eur="9600")


def test_a_one_departement_guichet_runs_its_own_rules_and_calendar(cantal, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_laureate_form(), ensure_ascii=False))
    reference = cantal.ok("dossier", "submit", str(path), now="2021-05-03T10:00")
    assert reference == "CAN-2021-0001"
    cantal.ok("dossier", "start_instruction", reference, now="2021-05-10T10:00", actor=INSTRUCTOR)
    cantal.ok("dossier", "schedule", reference, "--session", "06/07/2021", now="2021-05-11T10:00",
              actor=INSTRUCTOR)
    cantal.ok("session", "convene", "2021-07-06", now="2021-06-20T10:00", actor=COORDINATOR)
    cantal.ok("session", "open", "2021-07-06", now="2021-07-06T14:00", actor=COORDINATOR)
    above = cantal("dossier", "accept", reference, "--amount", "9600", "--reason", "Bien",
                   now="2021-07-06T14:30", actor=COORDINATOR)
    assert above.code == 1 and "forfait" in above.err and "8\u202f000,00 €" in above.err
    cantal.ok("dossier", "accept", reference, "--amount", "8000", "--reason", "Bien",
              now="2021-07-06T14:35", actor=COORDINATOR)
    cantal.ok("session", "close", "2021-07-06", now="2021-07-06T16:00", actor=COORDINATOR)
    budget = json.loads(cantal.ok("budget", "--json"))
    assert (budget["envelope_eur"], budget["committed_eur"]) == ("250000.00", "8000.00")
    outbox = json.loads(cantal.ok("outbox", "list", "--json"))
    [convocation] = [m for m in outbox if m["kind"] == "session_convened"
                     and m["to"] == COORDINATOR]
    assert "mardi 6 juillet 2021" in convocation["subject"]
    with UnitOfWork(engine_for(str(cantal.db))) as uow:
        texts = {m.kind: m.text for m in uow.session.exec(select(Outbox))
                 if m.recipient == COORDINATOR or m.reference == reference}
    assert "de 14 h à 16 h" in texts["session_convened"]
    decision = texts["decision_accepted"]
    assert "tribunal administratif de Clermont-Ferrand" in decision and "préfet du Cantal" in decision
    assert "Julien Roux-Exemple" in decision and "15000 Aurillac" in decision
    [listed] = json.loads(cantal.ok("guichet", "list", "--json"))
    assert (listed["id"], listed["reference_prefix"], listed["region"]) == (
        "cantal-2021", "CAN", "Auvergne-Rhône-Alpes")
    assert listed["dossiers"]["accepted"] == 1 and sum(listed["dossiers"].values()) == 1
