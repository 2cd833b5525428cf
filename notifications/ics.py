"""Calendar invitations for committee sessions (iCalendar): METHOD:REQUEST, or CANCEL.

The event carries its own VTIMEZONE (built by icalendar from the zone database), its place or
visio link, the agenda as its description, the organizer and one attendee per member. Its UID is
stable for the session's whole life; each move raises SEQUENCE so calendars replace the event.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def invitation(*, uid: str, day: date | str, sequence: int, summary: str, organizer: str,
               attendees: list[str], timezone: str = "Europe/Paris", start: str = "09:30",
               hours: int = 3, stamp: datetime | str | None = None, location: str | None = None,
               description: str | None = None, cancelled: bool = False) -> str:
    from icalendar import Calendar, Event, vCalAddress

    when = date.fromisoformat(day) if isinstance(day, str) else day
    begins = datetime.combine(when, time.fromisoformat(start), tzinfo=ZoneInfo(timezone))
    calendar = Calendar()
    calendar.add("prodid", "-//comite//guichet//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("summary", summary)
    event.add("dtstart", begins)
    event.add("dtend", begins + timedelta(hours=hours))
    stamped = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    event.add("dtstamp", stamped or begins)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["RSVP"] = "FALSE" if cancelled else "TRUE"
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    calendar.add_missing_timezones(first_date=date(when.year - 1, 1, 1),
                                   last_date=date(when.year + 1, 12, 31))
    return calendar.to_ical().decode()


def method(ics: str) -> str:
    """The METHOD of an invitation (the MIME part says it too)."""
    return "CANCEL" if "\nMETHOD:CANCEL" in ics.replace("\r", "") else "REQUEST"


def from_context(context: dict[str, Any]) -> str | None:
    spec = context.get("invitation")
    return invitation(**spec) if spec else None
