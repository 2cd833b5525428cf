"""Every row of the lifecycle table through the services, on a real SQLite database."""

from __future__ import annotations

from datetime import date

import pytest

from states.machine import EventRefused
from tests.helpers import COORDINATOR, INSTRUCTOR, form, report
from workflow.errors import InvalidInput

I29 = INSTRUCTOR["29"]


def kinds(desk, reference):
    return [m.kind for m in desk.outbox() if m.reference == reference]


def test_start_instruction_moves_to_instruction_and_tells_the_owner(desk):
    reference = desk.submit()
    dossier = desk.fire("start_instruction", reference, actor=I29, now="2021-05-10 09:00")
    assert dossier.state == "instruction"
    assert kinds(desk, reference) == ["submitted", "instruction_started"]


def test_schedule_puts_the_dossier_on_the_agenda_and_tells_the_date(desk):
    reference = desk.scheduled()
    shown = desk.show(reference)
    assert (shown["state"], shown["session"]) == ("committee", "2021-06-22")
    assert desk.session_show("2021-06-22")["agenda"][0]["reference"] == reference
    scheduled = [m for m in desk.outbox() if m.kind == "scheduled"][0]
    assert "22 juin 2021" in scheduled.subject and reference in scheduled.subject


def test_defer_moves_the_dossier_to_a_later_session(desk):
    reference = desk.scheduled()
    desk.held()
    desk.fire("defer", reference, actor=COORDINATOR, now="2021-06-22 10:00",
              session_day=date(2021, 9, 14), reason="Attendre le devis")
    assert desk.show(reference)["session"] == "2021-09-14"
    assert desk.session_show("2021-06-22")["agenda"][0]["decision"] == "defer"
    assert desk.session_show("2021-09-14")["agenda"][0]["decision"] is None
    assert "deferred" in kinds(desk, reference)


def test_accept_commits_the_budget_and_holds_the_email_until_the_session_closes(desk):
    reference = desk.accepted(amount=3_000_000)
    shown = desk.show(reference)
    assert (shown["state"], shown["awarded_eur"]) == ("accepted", "30000.00")
    assert desk.budget()["committed_eur"] == "30000.00"
    assert desk.budget()["by_department"]["29"] == {"committed_eur": "30000.00", "count": 1}
    decision = [m for m in desk.outbox() if m.kind == "decision_accepted"][0]
    assert decision.status == "held"
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    decision = [m for m in desk.outbox() if m.kind == "decision_accepted"][0]
    assert decision.status == "queued"
    assert "30\u202f000,00 €" in decision.text and "Projet exemplaire" in decision.text
    assert reference in decision.subject


@pytest.mark.parametrize(("event", "state", "template"), [
    ("request_revision", "to_be_revised", "decision_revision"),
    ("refuse", "refused", "decision_refused"),
])
def test_decisions_record_the_motivation_and_hold_the_email(desk, event, state, template):
    reference = desk.scheduled()
    desk.held()
    desk.fire(event, reference, actor=COORDINATOR, now="2021-06-22 10:00",
              reason="Préciser la méthode participative")
    shown = desk.show(reference)
    assert shown["state"] == state
    assert shown["history"][-1]["reason"] == "Préciser la méthode participative"
    [message] = [m for m in desk.outbox() if m.kind == template]
    assert message.status == "held" and "Préciser la méthode participative" in message.text


def test_a_refused_project_can_never_be_filed_again(desk):
    data = form()
    reference = desk.scheduled(data)
    desk.held()
    desk.fire("refuse", reference, actor=COORDINATOR, now="2021-06-22 10:00", reason="Hors champ")
    retitled = dict(data, title="  PORTAIL citoyen et prise de rendez-vous ")
    from workflow.errors import Refused

    with pytest.raises(Refused, match=reference):
        desk.submit(retitled, now="2021-07-01 10:00")
    assert desk.submit(dict(data, measure="3b"), now="2021-07-01 10:00")  # another measure is fine


def _to_be_revised(desk, data):
    reference = desk.scheduled(data)
    desk.held()
    desk.fire("request_revision", reference, actor=COORDINATOR, now="2021-06-22 10:00",
              reason="Associer les agents")
    return reference


def test_resubmit_bumps_the_revision_and_keeps_the_history(desk):
    data = form()
    reference = _to_be_revised(desk, data)
    revised = dict(data, title="Portail citoyen co-construit avec les agents")
    desk.fire("resubmit", reference, actor=data["contact"]["email"], now="2021-07-05 10:00",
              data=revised, file=None)
    shown = desk.show(reference)
    assert (shown["state"], shown["revision"], shown["title"], shown["session"]) == (
        "submitted", 2, "Portail citoyen co-construit avec les agents", None)
    assert [h["event"] for h in shown["history"]] == [
        "submit", "start_instruction", "schedule", "request_revision", "resubmit"]
    assert shown["history"][-1]["data"]["previous_form"]["title"] == data["title"]


def test_resubmit_is_refused_without_a_form_or_for_another_applicant(desk):
    reference = _to_be_revised(desk, form())
    with pytest.raises(EventRefused, match="--file"):
        desk.fire("resubmit", reference, actor=I29, now="2021-07-05 10:00", data=None, file=None)
    other = form()
    with pytest.raises(EventRefused, match="même demandeur"):
        desk.fire("resubmit", reference, actor=I29, now="2021-07-05 10:00", data=other, file=None)


def _in_follow_up(desk):
    return desk.in_follow_up(amount=3_000_000)


def test_the_agreement_is_sent_then_signed_and_the_report_calendar_starts(desk):
    reference = _in_follow_up(desk)
    shown = desk.show(reference)
    assert (shown["state"], shown["signed_on"]) == ("follow_up", "2021-07-01")
    [signed] = [m for m in desk.outbox() if m.kind == "agreement_signed"]
    for period in ("3e trimestre 2021", "4e trimestre 2021", "1er trimestre 2022",
                   "2e trimestre 2022", "3e trimestre 2022"):
        assert period in signed.text
    assert "3e trimestre 2021\u202f: au plus tard le vendredi 15 octobre 2021" in signed.text
    assert "agreement_sent" in kinds(desk, reference)


def test_sign_agreement_needs_a_date_not_in_the_future(desk):
    reference = desk.accepted()
    desk.fire("send_agreement", reference, actor=I29, now="2021-06-25 10:00")
    with pytest.raises(EventRefused, match="--date"):
        desk.fire("sign_agreement", reference, actor=I29, now="2021-07-02 10:00", signed_on=None)
    with pytest.raises(EventRefused, match="futur"):
        desk.fire("sign_agreement", reference, actor=I29, now="2021-07-02 10:00",
                  signed_on=date(2021, 7, 3))


def test_reports_are_taken_once_per_due_period(desk):
    reference = _in_follow_up(desk)
    owner = form()["contact"]["email"]
    desk.fire("submit_report", reference, actor=owner, now="2022-01-10 10:00",
              data=report(period="2021-Q4"), file=None)
    assert [r["period"] for r in desk.show(reference)["reports"]] == ["2021-Q4"]
    with pytest.raises(EventRefused, match="déjà été reçu"):
        desk.fire("submit_report", reference, actor=owner, now="2022-01-11 10:00",
                  data=report(period="2021-Q4"), file=None)
    with pytest.raises(EventRefused, match="précède la signature"):
        desk.fire("submit_report", reference, actor=owner, now="2022-01-11 10:00",
                  data=report(period="2021-Q2"), file=None)
    with pytest.raises(EventRefused, match="n'est pas commencée"):
        desk.fire("submit_report", reference, actor=owner, now="2022-01-11 10:00",
                  data=report(period="2022-Q2"), file=None)


def test_complete_needs_the_final_report(desk):
    reference = _in_follow_up(desk)
    with pytest.raises(EventRefused, match="rapport final"):
        desk.fire("complete", reference, actor=I29, now="2022-07-01 10:00")
    desk.fire("submit_report", reference, actor=I29, now="2022-07-01 10:00",
              data=report(period="2022-Q3", percent_done=100), file=None)
    assert desk.fire("complete", reference, actor=I29, now="2022-07-02 10:00").state == "completed"
    assert desk.budget()["committed_eur"] == "30000.00"  # a completed project keeps its award


def test_withdraw_releases_the_budget(desk):
    reference = desk.accepted(amount=3_000_000)
    assert desk.budget()["remaining_eur"] == "1158000.00"
    desk.fire("withdraw", reference, actor=I29, now="2021-06-23 10:00", reason="Projet abandonné")
    assert desk.budget()["remaining_eur"] == "1188000.00"
    assert desk.show(reference)["history"][-1]["data"] == {"released_eur": "30000.00"}


def test_withdraw_needs_a_reason(desk):
    reference = desk.submit()
    with pytest.raises(EventRefused, match="motif"):
        desk.fire("withdraw", reference, actor=I29, now="2021-05-05 10:00")


def test_a_withdrawn_agenda_item_lets_the_session_close(desk):
    reference = desk.scheduled()
    desk.held()
    desk.fire("withdraw", reference, actor=COORDINATOR, now="2021-06-22 10:00", reason="Retrait")
    assert desk.session_show("2021-06-22")["agenda"][0]["decision"] == "withdraw"
    assert desk.session("close", "2021-06-22", now="2021-06-22 12:00").state == "closed"


def test_unknown_reference_is_bad_input(desk):
    with pytest.raises(InvalidInput, match="BZH-2021-9999"):
        desk.fire("start_instruction", "BZH-2021-9999", actor=I29, now="2021-05-10 09:00")


def test_a_self_transition_at_the_same_instant_still_bumps_the_version(desk):
    reference = _in_follow_up(desk)
    version = desk.show(reference)["version"]
    desk.fire("submit_report", reference, actor=I29, now="2021-07-02 10:00",
              data=report(period="2021-Q3"), file=None)
    assert desk.show(reference)["version"] == version + 1
