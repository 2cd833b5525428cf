"""The committee session lifecycle: planned → convened → held → closed, and moves."""

from __future__ import annotations

from enum import StrEnum


class SessionState(StrEnum):
    planned = "planned"
    convened = "convened"
    held = "held"
    closed = "closed"
    cancelled = "cancelled"


# command: (sources, destination). A move keeps the state.
SESSION_RULES: dict[str, tuple[tuple[SessionState, ...], SessionState | None]] = {
    "convene": ((SessionState.planned,), SessionState.convened),
    "open": ((SessionState.convened,), SessionState.held),
    "close": ((SessionState.held,), SessionState.closed),
    "move": ((SessionState.planned, SessionState.convened), None),
    "cancel": ((SessionState.planned, SessionState.convened), SessionState.cancelled),
}

SESSION_LABELS: dict[str, str] = {
    SessionState.planned: "prévue",
    SessionState.convened: "convoquée",
    SessionState.held: "ouverte",
    SessionState.closed: "close",
    SessionState.cancelled: "annulée",
}


def allowed_session_commands(state: SessionState) -> list[str]:
    return [name for name, (sources, _) in SESSION_RULES.items() if state in sources]


def session_refusal(command: str, state: SessionState) -> str | None:
    """Why ``command`` is not possible in ``state``, or None."""
    sources, _ = SESSION_RULES[command]
    if state in sources:
        return None
    allowed = ", ".join(allowed_session_commands(state)) or "aucune (session close)"
    return (
        f"la session est {SESSION_LABELS[state]} : « {command} » n'est pas possible. "
        f"Actions possibles maintenant : {allowed}"
    )
