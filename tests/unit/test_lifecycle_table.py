"""The lifecycle table's structure, and that the machine, diagram and CLI come from it."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import states
from states.lifecycle import BY_EVENT, INITIAL, RULES, TERMINAL, DossierState, allowed_events
from states.machine import MACHINE, mermaid

ROOT = Path(__file__).resolve().parents[2]


def _reachable() -> set[DossierState]:
    seen, frontier = {INITIAL}, [INITIAL]
    while frontier:
        state = frontier.pop()
        for rule in RULES:
            if state in rule.sources and rule.dest not in seen:
                seen.add(rule.dest)
                frontier.append(rule.dest)
    return seen


def test_every_state_is_reachable_from_submitted():
    assert _reachable() == set(DossierState)


def test_terminal_states_have_no_exit():
    for state in TERMINAL:
        assert allowed_events(state) == []


def test_every_non_terminal_state_has_an_exit_to_another_state():
    for state in set(DossierState) - TERMINAL:
        assert any(state in r.sources and r.dest != state for r in RULES), state


def test_no_event_source_pair_appears_twice():
    pairs = Counter((rule.event, source) for rule in RULES for source in rule.sources)
    assert [pair for pair, count in pairs.items() if count > 1] == []


def test_stored_values_equal_enum_names():
    assert all(state.name == state.value for state in DossierState)


def test_machine_events_are_exactly_the_table_events_without_auto_transitions():
    assert set(MACHINE.events) == set(BY_EVENT)
    assert not any(name.startswith("to_") for name in MACHINE.events)


def test_machine_transitions_match_the_table():
    for rule in RULES:
        for source in rule.sources:
            [transition] = MACHINE.events[rule.event].transitions[source.name]
            assert transition.dest == rule.dest.name
            assert len(transition.conditions) == len(rule.guards)


def test_diagram_draws_every_transition_of_the_table():
    text = mermaid()
    assert text.splitlines()[3] == "stateDiagram-v2"
    for rule in RULES:
        for source in rule.sources:
            assert f"{source.value} --> {rule.dest.value}" in text
        assert rule.event in text


def test_withdraw_leaves_every_non_terminal_state():
    assert set(BY_EVENT["withdraw"].sources) == set(DossierState) - TERMINAL


def test_decisions_are_told_when_the_session_closes():
    assert {r.event for r in RULES if r.notify == "at_close"} == {
        "accept", "request_revision", "refuse"}


def _imports(path: Path) -> set[str]:
    """Dotted modules of ours that ``path`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.split(".")[0] in {"states", "workflow", "notifications", "schedules"}}


def test_states_imports_nothing_of_ours_but_states():
    for path in (ROOT / "states").glob("*.py"):
        assert {m.split(".")[0] for m in _imports(path)} <= {"states"}, path.name


def test_workflow_core_imports_only_states_workflow_and_the_pure_calendar():
    # Due work is created in the same transaction as the change that causes it, so services
    # read the pure calendar; schedules' jobs and runner import workflow, never the reverse.
    for path in (ROOT / "workflow").glob("*.py"):
        ours = {m for m in _imports(path) if not m.startswith(("states", "workflow"))}
        assert ours <= {"schedules.calendar"}, path.name


def test_the_calendar_is_pure():
    assert {m.split(".")[0] for m in _imports(ROOT / "schedules" / "calendar.py")} <= {"states"}


def test_the_engine_never_imports_its_adapters():
    """The command line (command_line/) and the web app (web/) call the engine; never the reverse."""
    for package in ("notifications", "workflow", "states", "schedules", "reports"):
        for path in (ROOT / package).glob("*.py"):
            adapters = {m for m in _imports(path) if m.split(".")[0] in ("command_line", "web")}
            assert not adapters, f"{package}/{path.name}: {adapters}"


def test_states_is_imported_from_this_repository():
    assert Path(states.__file__).resolve().parent == ROOT / "states"


def test_every_event_a_history_holds_has_its_words():
    from states.lifecycle import HAPPENED, STAFF_HAPPENED

    assert set(HAPPENED) == {*BY_EVENT, "submit"}
    assert set(STAFF_HAPPENED) == {*HAPPENED, "revoke_links"}
