"""What the emails of a real campaign say: contacts, appeals, agreement, convocation, invitations."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from notifications.outbox import Claimed
from notifications.smtp import build
from states.machine import EventRefused
from tests.helpers import COORDINATOR, INSTRUCTOR, form
from workflow.errors import Refused

I29 = INSTRUCTOR["29"]
MEMBERS = {"coordination.sgar@example.org", "membre.dinum@example.org",
           "membre.region@example.org", "membre.tilab@example.org"}


def messages(desk, kind):
    return [m for m in desk.outbox() if m.kind == kind]


def mime(row):
    claimed = Claimed(row.id, row.recipient, row.subject, row.text, row.html, row.ics,
                      row.message_id, datetime(2021, 6, 1, tzinfo=UTC), 0,
                      (row.attachment_name, row.attachment) if row.attachment_name else None)
    return build(claimed, "Guichet <guichet@example.org>")


def event_of(ics):
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_owner_emails_name_the_instructor_and_the_prefecture_to_write_to(desk):
    desk.submit()
    [receipt] = messages(desk, "submitted")
    for part in (receipt.text, receipt.html):
        assert "Léa Bernard-Exemple" in part and I29 in part
        assert "Préfecture du Finistère" in part and "pref29.relance@example.org" in part
        assert "29000 Quimper" in part


def test_every_decision_says_how_to_contest_it_and_a_revision_by_when(desk):
    accepted, revised = desk.scheduled(), desk.scheduled(form(title="Un second projet"))
    desk.held()
    desk.fire("accept", accepted, actor=COORDINATOR, now="2021-06-22 10:00", amount=1_000_000,
              reason="Projet exemplaire")
    desk.fire("request_revision", revised, actor=COORDINATOR, now="2021-06-22 11:00",
              reason="Préciser la méthode participative")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    [accord] = [m for m in messages(desk, "decision_accepted") if m.reference == accepted]
    [revision] = messages(desk, "decision_revision")
    for row in (accord, revision):
        assert "Voies et délais de recours" in row.text and "deux mois" in row.text
        assert "recours gracieux adressé au préfet de la région Bretagne" in row.text
        assert "tribunal administratif de Rennes" in row.text and "Télérecours citoyens" in row.text
    assert "Préciser la méthode participative" in revision.text
    assert "au plus tard le samedi 21 août 2021" in revision.text  # 60 days after the decision
    # where to resubmit: on the owner's own page, which the mail's link opens
    assert "ouvrez votre dossier en ligne (lien ci-dessous) et déposez-y le formulaire révisé" in (
        revision.text.replace("\u202f", " "))
    assert "/lien/" in revision.text


def test_the_agreement_says_where_to_send_it_and_carries_the_guichet_s_template(desk):
    reference = desk.accepted(amount=3_000_050)
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    desk.fire("send_agreement", reference, actor=I29, now="2021-06-25 10:00")
    [row] = messages(desk, "agreement_sent")
    assert "Préfecture de la région Bretagne, SGAR" in row.text
    assert "Préfecture du Finistère" in row.text
    assert row.attachment_name == f"convention-{reference}.html"
    assert "30\u202f000,50\u00a0€" in row.attachment or "30\u202f000,50 €" in row.attachment
    assert "Établie le 25 juin 2021" in row.attachment
    [part] = [p for p in mime(row).walk() if p.get_filename() == row.attachment_name]
    assert part.get_content_type() == "text/html"


def test_the_convocation_and_its_invitation_carry_time_place_agenda_and_every_member(desk):
    reference = desk.scheduled(day="2021-09-14")
    desk.session("convene", "2021-09-14", now="2021-08-01 10:00")
    rows = messages(desk, "session_convened")
    assert {r.recipient for r in rows} == MEMBERS
    row = rows[0]
    assert "mardi 14 septembre 2021, de 9 h 30 à 12 h 30" in row.text
    assert "salle de l'Exemple" in row.text and "https://visio.example.org/comite-bretagne" in row.text
    assert f"{reference}\u202f: Ville de Kerbras-Test" in row.text
    assert "mesure 3c" in row.text and "36\u202f000,00 € demandés" in row.text

    calendar, event = event_of(row.ics)
    assert calendar["METHOD"] == "REQUEST"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Paris"
    assert event["DTSTART"].dt == datetime(2021, 9, 14, 9, 30, tzinfo=event["DTSTART"].dt.tzinfo)
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Paris"
    assert (event["DTEND"].dt - event["DTSTART"].dt).seconds == 3 * 3600
    assert "salle de l'Exemple" in str(event["LOCATION"])
    assert reference in str(event["DESCRIPTION"]) and "Ville de Kerbras-Test" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == f"mailto:{COORDINATOR}"
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert {str(a).removeprefix("mailto:") for a in attendees} == MEMBERS
    assert event["SEQUENCE"] == 0

    message = mime(row)
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert [p.get_filename() for p in calendars] == [None, "invitation.ics"]
    assert all(p.get_param("method") == "REQUEST" for p in calendars)

    desk.session("move", "2021-09-14", now="2021-08-02 10:00", new_day="2021-09-21")
    [moved] = [m for m in messages(desk, "session_moved_member") if m.recipient == COORDINATOR]
    _, update = event_of(moved.ics)
    assert update["UID"] == event["UID"] and update["SEQUENCE"] == 1
    assert update["DTSTART"].dt.date() == date(2021, 9, 21)


def test_a_cancelled_session_withdraws_the_invitation_from_calendars(desk):
    desk.session("convene", "2021-10-19", now="2021-09-20 10:00")
    [invited] = [m for m in messages(desk, "session_convened") if m.recipient == COORDINATOR]
    desk.session("cancel", "2021-10-19", now="2021-09-21 10:00")
    assert desk.session_show("2021-10-19")["state"] == "cancelled"
    cancelled = messages(desk, "session_cancelled")
    assert {m.recipient for m in cancelled} == MEMBERS
    [row] = [m for m in cancelled if m.recipient == COORDINATOR]
    calendar, event = event_of(row.ics)
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["UID"] == event_of(invited.ics)[1]["UID"] and event["SEQUENCE"] == 1
    assert all(p.get_param("method") == "CANCEL" for p in mime(row).walk()
               if p.get_content_type() == "text/calendar")


def test_a_session_with_dossiers_on_its_agenda_cannot_be_cancelled(desk):
    reference = desk.scheduled(day="2021-09-14")
    with pytest.raises(Refused, match=f"{reference}.*defer.*move"):
        desk.session("cancel", "2021-09-14", now="2021-08-01 10:00")
    assert desk.session_show("2021-09-14")["state"] == "planned"


def test_a_refusal_by_a_condition_lists_what_the_coordinator_may_do_now(desk):
    reference = desk.scheduled()
    with pytest.raises(EventRefused) as refused:
        desk.fire("accept", reference, actor=COORDINATOR, now="2021-06-10 10:00", amount=100_000,
                  reason="ok")
    assert refused.value.later and "accept" not in refused.value.allowed
    assert refused.value.allowed == ["defer", "request_revision", "refuse", "withdraw"]


def test_a_guichet_naming_an_agreement_template_that_is_not_there_is_refused_at_init(cli, tmp_path):
    from tests.helpers import EXAMPLE

    path = tmp_path / "guichet.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        'template = "convention.html.j2"', 'template = "absente.html.j2"'), encoding="utf-8")
    result = cli("init", str(path))
    assert result.code == 2 and "agreement.template" in result.err and "absente.html.j2" in result.err
