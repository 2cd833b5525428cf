"""The guichet's rules at the right events, the session lifecycle and nothing written on refusal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from states.machine import EventRefused
from tests.helpers import COORDINATOR, INSTRUCTOR, MEMBER, Desk, form, siren
from workflow.errors import Conflict, InvalidInput, PermissionRefused, Refused

I29 = INSTRUCTOR["29"]


def test_instructors_act_only_on_their_departement(desk):
    reference = desk.submit()
    with pytest.raises(EventRefused, match="département 29"):
        desk.fire("start_instruction", reference, actor=INSTRUCTOR["22"], now="2021-05-10 09:00")
    assert desk.fire("start_instruction", reference, actor=COORDINATOR,
                     now="2021-05-10 09:00").state == "instruction"


def test_only_coordinators_decide(desk):
    reference = desk.scheduled()
    desk.held()
    with pytest.raises(EventRefused, match="seuls les coordinateurs"):
        desk.fire("accept", reference, actor=I29, now="2021-06-22 10:00", amount=100_000,
                  reason="ok")


def test_only_coordinators_run_sessions(desk):
    with pytest.raises(PermissionRefused):
        desk.session("convene", "2021-06-22", now="2021-06-10 09:00", actor=I29)
    with pytest.raises(PermissionRefused):
        desk.session("convene", "2021-06-22", now="2021-06-10 09:00", actor=MEMBER)


def test_an_unknown_actor_is_bad_input_naming_the_option(desk):
    reference = desk.submit()
    with pytest.raises(InvalidInput, match="--actor"):
        desk.fire("start_instruction", reference, actor="inconnu@example.org",
                  now="2021-05-10 09:00")


@pytest.mark.parametrize(("changes", "now", "day", "refusal", "words"), [
    ({"title": "Dématérialisation des autorisations d'urbanisme"}, "2021-05-11", "2021-06-22",
     EventRefused, "urbanisme"),
    ({"end_date": "2023-03-31"}, "2021-05-11", "2021-06-22", EventRefused, "31/12/2022"),
    ({}, "2021-06-16", "2021-06-22", EventRefused, "clos depuis le 15/06/2021"),
    ({}, "2021-05-11", "2021-06-23", InvalidInput, "2021-06-22, 2021-09-14"),
], ids=["excluded project", "ends after the results deadline", "agenda closed",
        "unknown session"])
def test_schedule_is_refused_with_the_rule_named(desk, changes, now, day, refusal, words):
    reference = desk.submit(form(**changes))
    desk.fire("start_instruction", reference, actor=I29, now="2021-05-10 09:00")
    with pytest.raises(refusal, match=words):
        desk.fire("schedule", reference, actor=I29, now=f"{now} 09:00",
                  session_day=date.fromisoformat(day))


def test_accept_above_the_3a_forfait_is_refused(desk):
    small = form(measure="3a", applicant={"population": 2900}, total_cost_eur="8000",
                 requested_eur="8000")
    reference = desk.scheduled(small)
    desk.held()
    with pytest.raises(EventRefused, match="forfait"):
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00",
                  amount=800_000, reason="ok")
    assert desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00",
                     amount=500_000, reason="ok").state == "accepted"


def test_the_3d_envelope_is_separate_from_the_main_one(desk):
    lab = form(measure="3d", total_cost_eur="150000", requested_eur="120000")
    reference = desk.scheduled(lab)
    desk.held()
    with pytest.raises(EventRefused, match="enveloppe de la mesure 3d") as refused:
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00",
                  amount=12_000_000, reason="ok")
    assert "100\u202f000,00 € restants" in str(refused.value)
    desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00",
              amount=10_000_000, reason="ok")
    budget = desk.budget()
    assert budget["committed_eur"] == "0.00"
    assert budget["separate_envelopes"]["3d"]["remaining_eur"] == "0.00"


def test_the_main_envelope_refuses_what_it_cannot_hold(engine):
    desk = Desk(engine)
    big = form(total_cost_eur="2000000", requested_eur="1188000")
    first = desk.scheduled(big)
    second = desk.scheduled(form(requested_eur="100"))
    desk.held()
    desk.fire("accept", first, actor=COORDINATOR, now="2021-06-22 10:00", amount=118_800_000,
              reason="ok")
    with pytest.raises(EventRefused, match="0,00 € restants"):
        desk.fire("accept", second, actor=COORDINATOR, now="2021-06-22 11:00", amount=10_000,
                  reason="ok")
    desk.fire("withdraw", first, actor=COORDINATOR, now="2021-06-22 11:30", reason="abandon")
    assert desk.fire("accept", second, actor=COORDINATOR, now="2021-06-22 11:45", amount=10_000,
                     reason="ok").state == "accepted"


def test_an_authority_is_individual_laureate_of_one_project_only(desk):
    applicant = siren()
    first = desk.scheduled(form(applicant={"siren": applicant}))
    second = desk.scheduled(form(applicant={"siren": applicant}, title="Autre projet"))
    desk.held()
    desk.fire("accept", first, actor=COORDINATOR, now="2021-06-22 10:00", amount=100_000,
              reason="ok")
    with pytest.raises(EventRefused, match=first):
        desk.fire("accept", second, actor=COORDINATOR, now="2021-06-22 10:05", amount=100_000,
                  reason="ok")


def test_groupement_awards_do_not_count_for_the_one_award_rule(desk):
    applicant = siren()
    grouped = desk.scheduled(form(applicant={"siren": applicant, "kind": "groupement"}))
    alone = desk.scheduled(form(applicant={"siren": applicant}, title="Projet communal"))
    desk.held()
    desk.fire("accept", grouped, actor=COORDINATOR, now="2021-06-22 10:00", amount=100_000,
              reason="ok")
    assert desk.fire("accept", alone, actor=COORDINATOR, now="2021-06-22 10:05", amount=100_000,
                     reason="ok").state == "accepted"


def test_decisions_wait_for_the_session_to_be_opened_on_its_day(desk):
    reference = desk.scheduled()
    desk.session("convene", "2021-06-22", now="2021-06-16 09:00")
    with pytest.raises(Refused, match="qu'à sa date"):
        desk.session("open", "2021-06-22", now="2021-06-21 09:00")
    with pytest.raises(EventRefused, match="en séance"):
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-21 10:00",
                  amount=100_000, reason="ok")


def test_convene_freezes_the_agenda_and_invites_every_member(desk):
    reference = desk.scheduled()
    desk.session("convene", "2021-06-22", now="2021-06-16 09:00")
    invitations = [m for m in desk.outbox() if m.kind == "session_convened"]
    assert {m.recipient for m in invitations} == {
        COORDINATOR, MEMBER, "membre.region@example.org", "membre.tilab@example.org"}
    assert all(reference in m.text for m in invitations)
    late = desk.submit()
    desk.fire("start_instruction", late, actor=I29, now="2021-05-12 09:00")
    with pytest.raises(EventRefused, match="figé"):
        desk.fire("schedule", late, actor=I29, now="2021-05-12 10:00",
                  session_day=date(2021, 6, 22))


def test_close_is_refused_while_an_item_is_undecided(desk):
    reference = desk.scheduled()
    desk.held()
    with pytest.raises(Refused, match=reference):
        desk.session("close", "2021-06-22", now="2021-06-22 12:00")


def test_a_closed_session_refuses_everything_and_says_so(desk):
    desk.held()
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    with pytest.raises(Refused, match="aucune"):
        desk.session("move", "2021-06-22", now="2021-06-23 12:00", new_day="2021-07-01")


def test_moving_a_session_takes_its_dossiers_and_tells_owners_and_members(desk):
    reference = desk.scheduled(day="2021-09-14")
    moved = desk.session("move", "2021-09-14", now="2021-08-01 10:00", new_day="2021-09-21")
    assert (moved.day, moved.moved_from, moved.sequence) == (date(2021, 9, 21),
                                                              date(2021, 9, 14), 1)
    assert desk.show(reference)["session"] == "2021-09-21"
    [owner] = [m for m in desk.outbox() if m.kind == "session_moved"]
    assert owner.reference == reference and "21 septembre 2021" in owner.subject
    assert "14 septembre 2021" in owner.text
    members = {m.recipient for m in desk.outbox() if m.kind == "session_moved_member"}
    assert MEMBER in members and COORDINATOR in members


def test_a_session_cannot_move_onto_another_or_into_the_past(desk):
    with pytest.raises(Refused, match="existe déjà"):
        desk.session("move", "2021-09-14", now="2021-08-01 10:00", new_day="2021-10-19")
    with pytest.raises(InvalidInput, match="NEW_DATE"):
        desk.session("move", "2021-09-14", now="2021-08-01 10:00", new_day="2021-07-01")


def test_a_refused_event_writes_nothing(desk):
    reference = desk.scheduled()
    before = (desk.audit_count(), len(desk.outbox()), desk.show(reference)["version"])
    desk.held()
    during = (desk.audit_count(), len(desk.outbox()))
    with pytest.raises(EventRefused):
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-22 10:00",
                  amount=999_999_999, reason="ok")
    assert (desk.audit_count(), len(desk.outbox())) == during
    assert desk.show(reference)["version"] == before[2]
    assert desk.session_show("2021-06-22")["agenda"][0]["decision"] is None


def test_an_expected_version_that_moved_on_is_a_conflict(desk):
    reference = desk.submit()
    seen = desk.show(reference)["version"]
    desk.fire("start_instruction", reference, actor=I29, now="2021-05-10 09:00",
              expected_version=seen)
    with pytest.raises(Conflict, match="version 2, vous attendiez la 1"):
        desk.fire("withdraw", reference, actor=I29, now="2021-05-10 09:01", reason="doublon",
                  expected_version=seen)


def test_a_concurrent_write_between_read_and_update_is_a_conflict(engine):
    """The version column makes the UPDATE a compare-and-swap, as on PostgreSQL's READ COMMITTED."""
    from notifications.render import render
    from tests.helpers import at
    from workflow import events
    from workflow.db import UnitOfWork
    from workflow.dossiers import Request

    desk = Desk(engine)
    reference = desk.submit()
    with UnitOfWork(engine, write=True, render=render) as uow:
        from sqlmodel import select

        from workflow.models import Dossier

        # read at version 1, kept in the identity map
        stale = uow.session.exec(select(Dossier).where(Dossier.reference == reference)).one()
        uow.session.execute(text("UPDATE dossier SET version = version + 1"))  # another writer
        with pytest.raises(Conflict, match="modifié par quelqu'un d'autre"):
            events.start_instruction(uow, Request(stale.reference, I29, at("2021-05-10 09:00")))
    assert desk.show(reference)["state"] == "submitted"
