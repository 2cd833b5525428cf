"""Calendar invitations for committee sessions (iCalendar, METHOD:REQUEST)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def invitation(*, uid: str, day: date | str, sequence: int, summary: str, organizer: str,
               attendees: list[str], timezone: str = "Europe/Paris", start: str = "09:30",
               hours: int = 3, stamp: datetime | str | None = None) -> str:
    """One VEVENT whose UID is stable per session; a move sends it again with SEQUENCE + 1."""
    from icalendar import Calendar, Event, vCalAddress

    when = date.fromisoformat(day) if isinstance(day, str) else day
    begins = datetime.combine(when, time.fromisoformat(start), tzinfo=ZoneInfo(timezone))
    calendar = Calendar()
    calendar.add("prodid", "-//comite//guichet//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("summary", summary)
    event.add("dtstart", begins)
    event.add("dtend", begins + timedelta(hours=hours))
    stamped = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    event.add("dtstamp", stamped or begins)
    event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["RSVP"] = "TRUE"
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def from_context(context: dict[str, Any]) -> str | None:
    spec = context.get("invitation")
    return invitation(**spec) if spec else None
