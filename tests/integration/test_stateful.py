"""Random sequences of events through the real services: the audit trail and versions never lie.

Invariants after every step: an accepted event adds exactly one audit row and one version; a refused
one adds nothing anywhere; a dossier's state is always the table's destination of its last event;
no envelope is ever overdrawn.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import func
from sqlmodel import select

from states.lifecycle import BY_EVENT, EVENTS, DossierState, allowed_events
from states.machine import EventRefused
from tests.helpers import (
    COORDINATOR,
    INSTRUCTOR,
    POSTGRES,
    Desk,
    form,
    make_engine,
    postgres_schema,
    report,
)
from workflow.errors import ComiteError
from workflow.models import Audit, Dossier
from workflow.records import Outbox

TRACE = False
SESSIONS = ("2021-06-22", "2021-09-14", "2021-10-19", "2022-02-08")
ACTORS = (COORDINATOR, *INSTRUCTOR.values(), "membre.dinum@example.org", "owner")
START = date(2021, 5, 3)


class Campaign(RuleBasedStateMachine):
    dossiers = Bundle("dossiers")

    def database(self) -> str:
        memory = Path("/dev/shm")  # the walk commits thousands of times: spare the disk
        self.folder = Path(tempfile.mkdtemp(dir=memory if memory.is_dir() else None))
        return f"sqlite:///{self.folder / 'state.db'}"

    def open_guichet(self):
        self.engine = make_engine(self.database())
        self.desk = Desk(self.engine)
        self.day = START
        self.owner = {}
        self.accepted_events = 0

    def teardown(self):
        if hasattr(self, "engine"):
            self.engine.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def now(self) -> str:
        return f"{self.day.isoformat()} 10:00"

    def _counts(self, reference: str | None = None):
        with self.engine.connect() as connection:
            audits = connection.execute(select(func.count()).select_from(Audit)).scalar_one()
            outbox = connection.execute(select(func.count()).select_from(Outbox)).scalar_one()
            row = None
            if reference is not None:
                row = connection.execute(
                    select(Dossier.state, Dossier.version).where(Dossier.reference == reference)
                ).one()
        return audits, outbox, row

    @initialize(target=dossiers)
    def three_dossiers_on_the_first_agenda(self):
        """Open the guichet and start walks half-way, so that 30 steps reach follow-up."""
        self.open_guichet()
        references = [self.submit(department, "3c", 10_000) for department in ("22", "29", "56")]
        for reference in references:
            for event in ("start_instruction", "schedule"):
                assert self.apply(reference, event, self._fitting_actor(event, reference), 0,
                                  SESSIONS[0], None, 0, 50)
        return multiple(*references)

    @rule(target=dossiers, department=st.sampled_from(sorted(INSTRUCTOR)),
          measure=st.sampled_from(["3a", "3b", "3c", "3d"]),
          requested=st.integers(min_value=1, max_value=400_000))
    def submit(self, department, measure, requested):
        data = form(applicant={"department": department}, measure=measure,
                    total_cost_eur=str(requested + 1000), requested_eur=str(requested),
                    signed_on=START.isoformat())
        audits, _, _ = self._counts()
        reference = self.desk.submit(data, now=self.now)
        self.owner[reference] = data
        assert self._counts(reference)[0] == audits + 1
        assert self._counts(reference)[2] == ("submitted", 1)
        return reference

    @rule(days=st.integers(min_value=0, max_value=20))
    def time_passes(self, days):
        self.day += timedelta(days=days)

    @rule()
    def the_held_session_closes(self):
        for day in SESSIONS:
            if self.desk.session_show(day)["state"] == "held":
                # Undecided items may remain: then the coordinator decides first.
                with contextlib.suppress(ComiteError):
                    self.desk.session("close", day, now=self.now)

    def _fitting_actor(self, event: str, reference: str) -> str:
        """Who would normally fire ``event``: most draws pick them, the rest anyone."""
        if event in ("defer", "accept", "request_revision", "refuse"):
            return COORDINATOR
        if event in ("resubmit", "submit_report", "withdraw"):
            return self.owner[reference]["contact"]["email"]
        return INSTRUCTOR[self.owner[reference]["applicant"]["department"]]

    def _draw_and_apply(self, reference, data, *, fitting: bool):
        _, _, (state, _) = self._counts(reference)
        # Withdrawing ends a dossier: leave it to the random actor so that walks go deep.
        allowed = [e for e in allowed_events(DossierState(state)) if e != "withdraw"]
        event = data.draw(st.sampled_from(allowed if fitting and allowed else EVENTS))
        who = self._fitting_actor(event, reference) if fitting else data.draw(
            st.sampled_from(ACTORS))
        open_until = (self.day + timedelta(days=7)).isoformat()
        later = [d for d in SESSIONS if d >= open_until] or list(SESSIONS)
        requested = int(self.owner[reference]["requested_eur"]) * 100
        amount = data.draw(st.integers(1, requested) if fitting else st.integers(-1, 500_000_00))
        current = (self.day.year - 2021) * 4 + (self.day.month - 1) // 3
        period = data.draw(st.sampled_from([current, current - 1]) if fitting
                           else st.integers(0, 8))
        applied = self.apply(reference, event, who, amount, data.draw(st.sampled_from(later)),
                             data.draw(st.sampled_from(["ok"] if fitting else [None, "ok"])),
                             period, data.draw(st.sampled_from([50, 100])))
        hypothesis_event(f"{'applied' if applied else 'refused'} {event}")

    @rule(reference=dossiers, data=st.data())
    def someone_acts_as_expected(self, reference, data):
        """An event allowed now, by the person who would normally fire it."""
        self._draw_and_apply(reference, data, fitting=True)

    @rule(reference=dossiers, data=st.data())
    def anyone_tries_anything(self, reference, data):
        self._draw_and_apply(reference, data, fitting=False)

    @rule()
    def the_next_session_meets(self):
        """Jump to the next session with an agenda that has not met, convene it and open it."""
        for day in SESSIONS:
            shown = self.desk.session_show(day)
            if (shown["state"] in ("planned", "convened") and day >= self.day.isoformat()
                    and shown["agenda"]):
                if shown["state"] == "planned":
                    self.desk.session("convene", day, now=self.now)
                self.day = date.fromisoformat(day)
                self.desk.session("open", day, now=self.now)
                return

    def apply(self, reference, event, who, amount, day, reason, period, percent):
        data = self.owner[reference]
        actor = data["contact"]["email"] if who == "owner" else who
        arguments = {
            "schedule": {"session_day": date.fromisoformat(day)},
            "defer": {"session_day": date.fromisoformat(day)},
            "accept": {"amount": amount},
            "resubmit": {"data": dict(data, title=f"{data['title']} v2"), "file": None},
            "sign_agreement": {"signed_on": self.day - timedelta(days=abs(period) % 9)},
            "submit_report": {"data": report(period=f"{2021 + period // 4}-Q{period % 4 + 1}",
                                             percent_done=percent), "file": None},
        }.get(event, {})
        before_audits, before_outbox, (state, version) = self._counts(reference)
        try:
            dossier = self.desk.fire(event, reference, actor=actor, now=self.now, reason=reason,
                                     **arguments)
        except (EventRefused, ComiteError) as refusal:
            hypothesis_event(f"refused {event}: {str(refusal)[:60]}") if TRACE else None
            assert self._counts(reference) == (before_audits, before_outbox, (state, version))
            return False
        rule_ = BY_EVENT[event]
        assert state in rule_.sources
        assert dossier.state == rule_.dest
        audits, _, row = self._counts(reference)
        assert audits == before_audits + 1
        assert row == (rule_.dest.value, version + 1)
        self.accepted_events += 1
        return True

    @invariant()
    def envelopes_are_never_overdrawn(self):
        if not hasattr(self, "desk"):
            return
        budget = self.desk.budget()
        assert not budget["remaining_eur"].startswith("-")
        assert all(not e["remaining_eur"].startswith("-")
                   for e in budget["separate_envelopes"].values())


class PostgresCampaign(Campaign):
    """The same walk on PostgreSQL, each example in a schema of its own."""

    def database(self) -> str:
        url, self.drop = postgres_schema(POSTGRES)
        return url

    def teardown(self):
        if hasattr(self, "engine"):
            self.drop()


WALK = {"stateful_step_count": 30, "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much]}
Campaign.TestCase.settings = settings(max_examples=200, **WALK)
TestCampaign = Campaign.TestCase
# Fewer walks on PostgreSQL: each one creates a schema and loads the guichet over the network.
PostgresCampaign.TestCase.settings = settings(max_examples=50, **WALK)
TestCampaignOnPostgres = pytest.mark.skipif(
    not POSTGRES, reason="COMITE_TEST_DATABASE_URL not set")(PostgresCampaign.TestCase)


def test_a_guided_sequence_reaches_follow_up_through_the_state_machine():
    """The random walk above can wander; this walk follows the happy path with the same checks."""
    machine = Campaign()
    try:
        machine.open_guichet()
        reference = machine.submit("29", "3c", 10_000)
        machine.apply(reference, "start_instruction", INSTRUCTOR["29"], 0, SESSIONS[0], None, 0, 50)
        machine.apply(reference, "schedule", INSTRUCTOR["29"], 0, SESSIONS[0], None, 0, 50)
        machine.the_next_session_meets()
        assert machine.day == date(2021, 6, 22)
        machine.apply(reference, "accept", COORDINATOR, 500_000, SESSIONS[0], "ok", 0, 50)
        machine.apply(reference, "send_agreement", COORDINATOR, 0, SESSIONS[0], None, 0, 50)
        machine.apply(reference, "sign_agreement", COORDINATOR, 0, SESSIONS[0], None, 0, 50)
        assert machine.accepted_events == 5
        assert machine._counts(reference)[2] == ("follow_up", 6)
    finally:
        machine.teardown()
