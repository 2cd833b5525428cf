"""Who may do what: every role × every event and session command × dossiers of two départements.

The expected matrix is written here from the SPEC and the README, not derived from the guards:
instructors act on their own département's dossiers, coordinators on all, only coordinators run
sessions and decide, the owner may resubmit, report and withdraw their own dossier, and nobody
else (a member, another owner, an unknown address, the engine's name, nobody) may do anything.
Every refusal writes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import MetaData, select

from states.machine import EventRefused
from tests.helpers import COORDINATOR, INSTRUCTOR, Desk, form, report
from workflow.errors import InvalidInput, PermissionRefused

OWNER = "numerique@ville-kerbras.example.org"  # the contact of every test form
ACTORS = {
    "coordinator": COORDINATOR,
    "instructor-22": INSTRUCTOR["22"],
    "instructor-29": INSTRUCTOR["29"],
    "instructor-35": INSTRUCTOR["35"],
    "member": "membre.dinum@example.org",
    "owner": OWNER,
    "another owner": "autre.porteur@example.org",
    "unknown": "inconnu@example.org",
    "system": "system",
    "nobody": "",
}
BY_DEPARTMENT = {"start_instruction", "schedule", "send_agreement", "sign_agreement", "complete"}
DECISIONS = {"defer", "accept", "request_revision", "refuse"}
OWNER_TOO = {"resubmit", "submit_report", "withdraw"}
STAFF = {"coordinator", "instructor-22", "instructor-29", "instructor-35", "member"}


def allowed(event: str, role: str, department: str) -> bool:
    if role == "coordinator":
        return True
    if role == f"instructor-{department}":
        return event not in DECISIONS
    return role == "owner" and event in OWNER_TOO


def digest(engine) -> str:
    """A fingerprint of every row of every table: equal means nothing was written."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        rows = [f"{table.name}:{sorted(map(repr, connection.execute(select(table))))}"
                for table in tables.sorted_tables]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


# event: (state the dossier is brought to, when the event is tried, its arguments)
CASES = {
    "start_instruction": ("submitted", "2021-05-12 10:00", {}),
    "schedule": ("instruction", "2021-05-12 10:00", {"session_day": date(2021, 9, 14)}),
    "defer": ("committee", "2021-06-22 10:30", {"session_day": date(2021, 9, 14)}),
    "accept": ("committee", "2021-06-22 10:30", {"amount": 1_000_000}),
    "request_revision": ("committee", "2021-06-22 10:30", {}),
    "refuse": ("committee", "2021-06-22 10:30", {}),
    "resubmit": ("to_be_revised", "2021-06-23 10:00", {"file": None}),
    "send_agreement": ("accepted", "2021-06-23 10:00", {}),
    "sign_agreement": ("agreement", "2021-07-02 10:00", {"signed_on": date(2021, 7, 1)}),
    "submit_report": ("follow_up", "2021-10-05 10:00", {"file": None}),
    "complete": ("final_report", "2021-10-06 10:00", {}),
    "withdraw": ("submitted", "2021-05-12 10:00", {}),
}


LEVELS = {"instruction": 1, "committee": 2, "to_be_revised": 3, "accepted": 3, "agreement": 4,
          "follow_up": 5, "final_report": 6}


def _before_the_committee(desk: Desk, reference: str, department: str, level: int) -> None:
    actor = INSTRUCTOR[department]
    if level >= 1:
        desk.fire("start_instruction", reference, actor=actor, now="2021-05-10 09:00")
    if level >= 2:
        desk.fire("schedule", reference, actor=actor, now="2021-05-11 09:00",
                  session_day=date(2021, 6, 22))


def _at_the_committee(desk: Desk, reference: str, state: str) -> None:
    if state == "to_be_revised":
        desk.fire("request_revision", reference, actor=COORDINATOR, now="2021-06-22 10:00",
                  reason="Associer les agents")
    elif LEVELS.get(state, 0) >= 3:
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00",
                  amount=1_000_000, reason="Projet exemplaire")


def _after_the_committee(desk: Desk, reference: str, department: str, level: int) -> None:
    actor = INSTRUCTOR[department]
    if level >= 4:
        desk.fire("send_agreement", reference, actor=actor, now="2021-06-23 09:00")
    if level >= 5:
        desk.fire("sign_agreement", reference, actor=actor, now="2021-07-02 09:00",
                  signed_on=date(2021, 7, 1))
    if level >= 6:
        desk.fire("submit_report", reference, actor=actor, now="2021-10-05 09:00",
                  data=report(period="2021-Q3", percent_done=100), file=None)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Three dossiers per event and département, each brought to the state the event leaves from,
    along one real calendar (the 22 June 2021 committee decides them all)."""
    from tests.helpers import make_engine

    desk = Desk(make_engine(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'comite.db'}"))
    forms: dict[str, dict] = {}
    dossiers: dict[tuple[str, str], list[str]] = {}
    for event in CASES:
        for department in ("22", "29"):
            data = [form(applicant={"department": department}) for _ in range(3)]
            references = [desk.submit(d, now="2021-05-03 10:00") for d in data]
            forms.update(zip(references, data, strict=True))
            dossiers[(event, department)] = references
    phases = ((_before_the_committee, True), (_at_the_committee, False),
              (_after_the_committee, True))
    for phase, by_department in phases:
        if phase is _at_the_committee:
            desk.held()
        for (event, department), references in dossiers.items():
            state = CASES[event][0]
            for reference in references:
                if by_department:
                    phase(desk, reference, department, LEVELS.get(state, 0))
                else:
                    phase(desk, reference, state)
    desk.submit(form(contact={"email": ACTORS["another owner"]}), now="2021-05-03 10:00")
    return desk, dossiers, forms


def _arguments(event, reference, forms):
    arguments = dict(CASES[event][2])
    if event == "resubmit":
        arguments["data"] = forms[reference]
    if event == "submit_report":
        arguments["data"] = report(period="2021-Q3")
    return arguments


@pytest.mark.parametrize("department", ["22", "29"])
@pytest.mark.parametrize("event", list(CASES))
def test_each_event_is_allowed_exactly_to_whom_the_spec_says(world, event, department):
    desk, dossiers, forms = world
    references = list(dossiers[(event, department)])
    now = CASES[event][1]
    reason = "Motif" if event in ("request_revision", "refuse", "withdraw", "accept") else None
    permitted = [role for role in ACTORS if allowed(event, role, department)]
    for role, email in ACTORS.items():
        if role in permitted:
            continue
        before = digest(desk.engine)
        expected = (EventRefused, PermissionRefused) if role in STAFF or role == "owner" else (
            InvalidInput,)
        with pytest.raises(expected):
            desk.fire(event, references[0], actor=email, now=now, reason=reason,
                      **_arguments(event, references[0], forms))
        assert digest(desk.engine) == before, f"{role} wrote something on {event}"
    for role, reference in zip(permitted, references, strict=False):
        moved = desk.fire(event, reference, actor=ACTORS[role], now=now, reason=reason,
                          **_arguments(event, reference, forms))
        assert moved.version > 1, f"{role} could not {event}"


@pytest.mark.parametrize(("command", "day", "now", "extra"), [
    ("convene", "2021-10-19", "2021-09-20 10:00", {}),
    ("open", "2021-10-19", "2021-10-19 09:00", {}),
    ("close", "2021-10-19", "2021-10-19 12:00", {}),
    ("move", "2022-02-08", "2021-10-20 10:00", {"new_day": "2022-02-15"}),
    ("cancel", "2022-02-15", "2021-10-21 10:00", {}),
])
def test_only_coordinators_run_sessions(world, command, day, now, extra):
    desk = world[0]
    for role, email in ACTORS.items():
        if role == "coordinator":
            continue
        before = digest(desk.engine)
        expected = PermissionRefused if role in STAFF else InvalidInput
        with pytest.raises(expected):
            desk.session(command, day, now=now, actor=email, **extra)
        assert digest(desk.engine) == before, f"{role} wrote something on session {command}"
    desk.session(command, day, now=now, actor=COORDINATOR, **extra)
