"""The transitions Machine, built once from RULES; firing an event on a plain state holder.

No machine is built per dossier or per event: dossiers are rows, and a throwaway ``Flow`` carries
the state through the single shared machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from transitions import Machine, MachineError

from states.guards import PERMISSIONS, STANDING, TARGETS, GuardContext, SessionView
from states.lifecycle import (
    BY_EVENT,
    INITIAL,
    RULES,
    STATE_LABELS,
    DossierState,
    Rule,
)
from states.refusal import EventRefused


@dataclass
class Flow:
    """What the machine moves: just a state."""

    state: DossierState


def _passes(guard: Any):
    def condition(ctx: GuardContext) -> bool:
        return guard(ctx) is None

    condition.__name__ = guard.__name__
    return condition


def config(rules: tuple[Rule, ...]) -> list[dict[str, Any]]:
    """The transitions configuration derived from the table."""
    return [
        {
            "trigger": rule.event,
            "source": list(rule.sources),
            "dest": rule.dest,
            "conditions": [_passes(guard) for guard in rule.guards],
        }
        for rule in rules
    ]


MACHINE = Machine(
    model=None,
    states=DossierState,
    transitions=config(RULES),
    initial=None,
    auto_transitions=False,
    ignore_invalid_triggers=False,
)


def refusals(event: str, ctx: GuardContext) -> list[str]:
    """Every reason the guards of ``event`` give for this snapshot."""
    return [reason for guard in BY_EVENT[event].guards if (reason := guard(ctx)) is not None]


def permitted(rule: Rule, ctx: GuardContext) -> bool:
    """Whether the person acting may fire this event at all (its permission guards pass)."""
    return all(guard(ctx) is None for guard in rule.guards if guard in PERMISSIONS)


def standing(rule: Rule, ctx: GuardContext) -> list[str]:
    """What stops this person from firing ``rule`` now, before anything is typed: the guards
    that look only at who acts and where the dossier stands (the others judge the input)."""
    return [reason for guard in rule.guards if guard in STANDING
            and (reason := guard(ctx)) is not None]


def open_targets(rule: Rule, ctx: GuardContext,
                 sessions: Iterable[SessionView]) -> list[SessionView]:
    """The sessions ``rule`` would take as its target now: those its session guards accept."""
    judges = [guard for guard in rule.guards if guard in TARGETS]
    return [session for session in sessions
            if all(guard(replace(ctx, target_session=session)) is None for guard in judges)]


def open_to(state: DossierState, ctx: GuardContext) -> list[str]:
    """The events of ``state`` that the person acting may fire, in table order."""
    return [rule.event for rule in RULES if state in rule.sources and permitted(rule, ctx)]


def fire(state: DossierState, event: str, ctx: GuardContext) -> DossierState:
    """The state after ``event``, or EventRefused naming every failed rule and what this person
    may do instead."""
    if event not in BY_EVENT:
        raise KeyError(event)
    rule = BY_EVENT[event]
    if state not in rule.sources:
        raise EventRefused(
            event, state, [f"« {event} » n'est pas possible : le dossier est {STATE_LABELS[state]}"],
            allowed=open_to(state, ctx),
        )
    flow = Flow(state)
    try:
        moved = MACHINE.events[event].trigger(flow, ctx=ctx)
    except MachineError as exc:  # pragma: no cover - sources are checked above
        raise EventRefused(event, state, [str(exc)]) from exc
    if not moved:
        others = [name for name in open_to(state, ctx) if name != event]
        raise EventRefused(event, state, refusals(event, ctx), allowed=others,
                           later=permitted(rule, ctx))
    return flow.state


@cache
def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, drawn by transitions from the same table."""
    from transitions.extensions.diagrams import GraphMachine

    drawing = GraphMachine(
        model=Flow(INITIAL),
        states=DossierState,
        transitions=[{k: v for k, v in t.items() if k != "conditions"} for t in config(RULES)],
        initial=INITIAL,
        auto_transitions=False,
        graph_engine="mermaid",
        title="Cycle de vie d'un dossier",
        show_conditions=False,
    )
    return str(drawing.models[0].get_graph().draw(None))
