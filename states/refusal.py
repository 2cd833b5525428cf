"""The refusal of an event, apart from the machine: whoever reports it need not load transitions."""

from __future__ import annotations

from states.lifecycle import TERMINAL, DossierState, allowed_events


class EventRefused(Exception):
    """An event that the lifecycle does not allow now; carries every reason at once.

    ``allowed`` is what the person who tried may do now; ``later`` says the refused event itself
    becomes possible once its named conditions hold (the state allows it and the person may).
    """

    def __init__(self, event: str, state: DossierState, reasons: list[str], *,
                 allowed: list[str] | None = None, later: bool = False) -> None:
        self.event = event
        self.state = state
        self.reasons = reasons
        self.allowed = allowed_events(state) if allowed is None else allowed
        self.later = later
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.allowed:
            allowed = ", ".join(self.allowed)
        else:
            allowed = "aucune (état final)" if self.state in TERMINAL else "aucune pour vous"
        later = (f" ; « {self.event} » sera possible une fois ces conditions remplies"
                 if self.later else "")
        return f"{'; '.join(self.reasons)}{later}. Actions possibles maintenant : {allowed}"
