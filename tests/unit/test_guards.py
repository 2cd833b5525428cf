"""Each guard, refused and accepted, as tables; and firing through the shared machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from states import guards as g
from states.guards import Actor, GuardContext, SessionView
from states.lifecycle import DossierState
from states.machine import EventRefused, fire

COORD = Actor("c@example.org", "coordinator")
INSTR_29 = Actor("i29@example.org", "instructor", "29")
INSTR_22 = Actor("i22@example.org", "instructor", "22")
MEMBER = Actor("m@example.org", "member")
OWNER = Actor("o@example.org", "owner")
TODAY = date(2021, 6, 22)
PLANNED = SessionView(date(2021, 9, 14), "planned", date(2021, 9, 7))
HELD = SessionView(date(2021, 6, 22), "held", date(2021, 6, 15))

BASE = GuardContext(actor=COORD, today=TODAY, department="29", measure="3c", requested=3_600_000,
                    total_cost=4_800_000, reason="Projet solide", amount=3_600_000,
                    max_share=4_800_000, room=10_000_000, current_session=HELD,
                    target_session=PLANNED, signed_on=date(2021, 7, 1))


def ctx(**changes):
    return replace(BASE, **changes)


REFUSED = [
    ("may_instruct", ctx(actor=INSTR_22), "département 29"),
    ("may_instruct", ctx(actor=MEMBER), "ne peut pas instruire"),
    ("owner_or_instructor", ctx(actor=INSTR_22), "département 29"),
    ("is_coordinator", ctx(actor=INSTR_29), "seuls les coordinateurs"),
    ("motivation_given", ctx(reason="  "), "motivation"),
    ("motivation_given", ctx(reason=None), "motivation"),
    ("eligibility_assessed", ctx(eligibility=("exclusion « urbanisme »",)), "urbanisme"),
    ("agenda_open", ctx(target_session=None), "--session"),
    ("agenda_open", ctx(target_session=replace(PLANNED, state="convened")), "figé"),
    ("agenda_open", ctx(today=date(2021, 9, 8)), "clos depuis le 07/09/2021"),
    ("later_open_session", ctx(target_session=replace(PLANNED, day=date(2021, 6, 1))), "postérieure"),
    ("later_open_session", ctx(target_session=replace(PLANNED, state="closed")), "plus ouverte"),
    ("later_open_session", ctx(target_session=None), "--session"),
    ("session_in_progress", ctx(current_session=replace(HELD, state="convened")), "en séance"),
    ("session_in_progress", ctx(current_session=None), "aucune session"),
    ("amount_valid", ctx(amount=None), "--amount"),
    ("amount_valid", ctx(amount=0), "positif"),
    ("amount_valid", ctx(amount=3_600_001), "36\u202f000,00 €"),
    ("amount_valid", ctx(requested=9_000_000, amount=5_000_000, max_share=4_800_000), "plafond"),
    ("amount_valid", ctx(amount=600_000, forfait=500_000), "forfait"),
    ("envelope_has_room", ctx(room=100_000), "1\u202f000,00 € restants"),
    ("one_individual_award", ctx(other_award="BZH-2021-0001"), "BZH-2021-0001"),
    ("updated_form_valid", ctx(form_problem="même demandeur"), "même demandeur"),
    ("signature_dated", ctx(signed_on=None), "--date"),
    ("signature_dated", ctx(signed_on=date(2021, 7, 1), today=date(2021, 6, 30)), "futur"),
    ("signature_dated", ctx(signed_on=date(2021, 6, 1), decided_on=date(2021, 6, 22)),
     "précède la décision du comité (22/06/2021)"),
    ("signature_dated", ctx(signed_on=date(21, 6, 22), decided_on=date(2021, 6, 22)),
     "précède la décision"),
    ("report_for_due_period", ctx(report_problem="déjà reçu"), "déjà reçu"),
    ("final_report_received", ctx(has_final_report=False), "rapport final"),
    ("reason_given", ctx(reason=""), "motif"),
]

ACCEPTED = [
    ("may_instruct", ctx(actor=INSTR_29)),
    ("may_instruct", ctx(actor=COORD)),
    ("owner_or_instructor", ctx(actor=OWNER)),
    ("is_coordinator", ctx()),
    ("motivation_given", ctx()),
    ("eligibility_assessed", ctx(eligibility=())),
    ("agenda_open", ctx(today=date(2021, 9, 7))),
    ("later_open_session", ctx()),
    ("later_open_session", ctx(current_session=None)),
    ("session_in_progress", ctx()),
    ("amount_valid", ctx(amount=3_600_000, forfait=None)),
    ("amount_valid", ctx(amount=500_000, forfait=500_000)),
    ("envelope_has_room", ctx(room=3_600_000)),
    ("envelope_has_room", ctx(room=None)),
    ("one_individual_award", ctx()),
    ("updated_form_valid", ctx()),
    ("signature_dated", ctx(signed_on=TODAY)),
    ("report_for_due_period", ctx()),
    ("final_report_received", ctx(has_final_report=True)),
    ("reason_given", ctx()),
]


@pytest.mark.parametrize(("guard", "context", "words"), REFUSED)
def test_guard_refuses_with_a_reason_naming_the_rule(guard, context, words):
    reason = getattr(g, guard)(context)
    assert reason is not None and words in reason


@pytest.mark.parametrize(("guard", "context"), ACCEPTED)
def test_guard_accepts(guard, context):
    assert getattr(g, guard)(context) is None


def test_every_guard_of_the_table_is_covered_both_ways():
    from states.lifecycle import RULES

    used = {guard.__name__ for rule in RULES for guard in rule.guards}
    assert used <= {name for name, *_ in REFUSED}
    assert used <= {name for name, _ in ACCEPTED}


def test_fire_returns_the_destination_when_every_guard_passes():
    assert fire(DossierState.committee, "accept", ctx()) == DossierState.accepted


def test_fire_reports_every_failed_guard_at_once():
    with pytest.raises(EventRefused) as refused:
        fire(DossierState.committee, "accept", ctx(actor=INSTR_29, reason=None, room=0))
    assert len(refused.value.reasons) == 3
    assert refused.value.allowed == ["withdraw"]  # an instructor decides nothing
    assert "sera possible" not in refused.value.message


def test_a_refusal_by_a_condition_says_the_event_comes_once_it_holds_and_lists_the_others():
    with pytest.raises(EventRefused) as refused:
        fire(DossierState.committee, "accept", ctx(reason=None))
    assert refused.value.allowed == ["defer", "request_revision", "refuse", "withdraw"]
    assert "« accept » sera possible une fois ces conditions remplies" in refused.value.message
    assert refused.value.message.endswith(
        "Actions possibles maintenant : defer, request_revision, refuse, withdraw")


def test_what_is_possible_now_is_what_this_person_may_do():
    with pytest.raises(EventRefused) as refused:
        fire(DossierState.submitted, "accept", ctx(actor=INSTR_22))
    assert refused.value.allowed == []
    assert "aucune pour vous" in refused.value.message


def test_fire_from_a_wrong_state_names_the_state_and_what_is_allowed():
    with pytest.raises(EventRefused) as refused:
        fire(DossierState.submitted, "accept", ctx())
    assert "déposé" in refused.value.message
    assert "start_instruction, withdraw" in refused.value.message


def test_terminal_state_allows_nothing():
    with pytest.raises(EventRefused) as refused:
        fire(DossierState.refused, "withdraw", ctx())
    assert "aucune (état final)" in refused.value.message


def test_the_sessions_offered_for_an_event_are_those_its_session_guards_accept():
    from states.lifecycle import BY_EVENT
    from states.machine import open_targets

    june = replace(PLANNED, day=date(2021, 6, 29), agenda_closes_on=date(2021, 6, 22))
    closed_agenda = replace(PLANNED, day=date(2021, 6, 25), agenda_closes_on=date(2021, 6, 18))
    convened = replace(PLANNED, state="convened")
    sessions = [closed_agenda, june, convened, PLANNED]
    # schedule: a planned session whose agenda is still open on TODAY (22 June)
    assert open_targets(BY_EVENT["schedule"], BASE, sessions) == [june, PLANNED]
    # defer: a planned session after the one the dossier is on (HELD, 22 June), agenda or not
    assert open_targets(BY_EVENT["defer"], BASE, sessions) == [closed_agenda, june, PLANNED]
    assert open_targets(BY_EVENT["defer"], ctx(current_session=PLANNED), sessions) == []
