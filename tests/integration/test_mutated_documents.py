"""Documents built from the schema, then mutated (types, sizes, Unicode, nesting, limits), through
the real `dossier submit` and `dossier submit_report` commands: every outcome is done (0), refused
(1) or bad input naming what is wrong (2), never an internal error, and nothing is written unless
it is done."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli import Cli
from tests.helpers import COORDINATOR, EXAMPLE, INSTRUCTOR, form, report

# Values a field may be replaced with: every JSON type, numbers at and past the limits, text of
# every Unicode category (controls, bidirectional marks, full-width digits, surrogate-free), deep
# nesting.
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 2**63, 2**64, 10**17, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Nd", "Zs", "Sm", "Lo"]), max_size=20),
    st.sampled_from(["0001-01-01", "9999-12-31", "2021-02-30", "２０２１-０６-２２", "1e309",
                     "５０００", "١٠٠٠", "1_000", " ", "\u202e", "true", "2021-Q5", "NaN"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def _paths(document, prefix=()):
    """Every place in a document (dict keys and list positions), as tuples."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated(draw, base):
    document = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = list(_paths(document))
        *parents, last = draw(st.sampled_from(places))
        target = document
        for part in parents:
            target = target[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete":
            del target[last]
        elif action == "add" and isinstance(target, dict):
            target[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
        else:
            target[last] = draw(VALUES)
    return document


def _write(path, document, *, deep: bool) -> None:
    text = json.dumps(document, ensure_ascii=False, allow_nan=True)
    if deep:
        text = "[" * 50_000 + text + "]" * 50_000
    path.write_text(text, encoding="utf-8")


def _judged(cli: Cli, result, before: str) -> None:
    assert result.code in (0, 1, 2), result.err
    assert "erreur interne" not in result.err and "Traceback" not in result.err
    if result.code == 2:
        assert " : " in result.err  # the file, and the field or what is wrong, are named
    if result.code != 0:
        assert cli.digest() == before


@pytest.fixture
def quiet_cli(tmp_path, capsys, monkeypatch):
    """One SQLite base for every example of a test (hypothesis runs them in one call)."""
    for name in ("COMITE_ACTOR", "COMITE_NOW", "COMITE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    cli = Cli(f"sqlite:///{tmp_path / 'comite.db'}", capsys, monkeypatch)
    cli.ok("init", str(EXAMPLE))
    return cli


MUTATION = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@MUTATION
@given(document=mutated(form()))
def test_a_mutated_dossier_is_filed_refused_or_named_never_an_internal_error(quiet_cli, tmp_path,
                                                                           document):
    path = tmp_path / "dossier.json"
    _write(path, document, deep=False)
    before = quiet_cli.digest()
    result = quiet_cli("dossier", "submit", str(path), now="2021-05-03T10:00")
    _judged(quiet_cli, result, before)


@pytest.fixture
def in_follow_up(quiet_cli, tmp_path):
    """A laureate whose agreement was signed on 1 July 2021: its reports are due from October."""
    path = tmp_path / "laureate.json"
    path.write_text(json.dumps(form(), ensure_ascii=False))
    reference = quiet_cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00")
    steps = [("start_instruction", [], INSTRUCTOR["29"], "2021-05-10T09:00"),
             ("schedule", ["--session", "2021-06-22"], INSTRUCTOR["29"], "2021-05-11T09:00")]
    for event, extra, actor, now in steps:
        quiet_cli.ok("dossier", event, reference, *extra, now=now, actor=actor)
    for command, now in (("convene", "2021-06-15T09:00"), ("open", "2021-06-22T09:00")):
        quiet_cli.ok("session", command, "2021-06-22", now=now, actor=COORDINATOR)
    quiet_cli.ok("dossier", "accept", reference, "--amount", "30000", "--reason", "Bien",
                 now="2021-06-22T10:00", actor=COORDINATOR)
    quiet_cli.ok("session", "close", "2021-06-22", now="2021-06-22T12:00", actor=COORDINATOR)
    quiet_cli.ok("dossier", "send_agreement", reference, now="2021-06-25T10:00",
                 actor=INSTRUCTOR["29"])
    quiet_cli.ok("dossier", "sign_agreement", reference, "--date", date(2021, 7, 1).isoformat(),
                 now="2021-07-02T10:00", actor=INSTRUCTOR["29"])
    return reference


@settings(MUTATION, max_examples=250)
@given(document=mutated(report(period="2021-Q3")))
def test_a_mutated_report_is_taken_refused_or_named_never_an_internal_error(quiet_cli, tmp_path,
                                                                          in_follow_up, document):
    path = tmp_path / "report.json"
    _write(path, document, deep=False)
    before = quiet_cli.digest()
    result = quiet_cli("dossier", "submit_report", in_follow_up, "--file", str(path),
                       now="2022-01-10T10:00", actor=INSTRUCTOR["29"])
    _judged(quiet_cli, result, before)


def test_a_document_nested_beyond_reason_is_bad_input(quiet_cli, tmp_path):
    path = tmp_path / "deep.json"
    _write(path, form(), deep=True)
    before = quiet_cli.digest()
    result = quiet_cli("dossier", "submit", str(path), now="2021-05-03T10:00")
    assert result.code == 2 and "imbriqué" in result.err
    assert quiet_cli.digest() == before


HOSTILE = [None, True, 0, -1, 2**63, 10**400, 1e308, "", " ", "\x00", "\u202e", "a\r\nb",
           "x" * 5000, "１２３", "0001-01-01", "9999-12-31", [], {}, [[[[[]]]]]]


def test_every_field_of_a_dossier_against_every_hostile_value(quiet_cli, tmp_path):
    """The grid the random walk may miss: each place of the form × each value at the limits."""
    base = form()
    places = [p for p in _paths(base)]
    path = tmp_path / "dossier.json"
    seen = 0
    for place in places:
        for value in HOSTILE:
            document = json.loads(json.dumps(base))
            *parents, last = place
            target = document
            for part in parents:
                target = target[part]
            target[last] = value
            _write(path, document, deep=False)
            before = quiet_cli.digest()
            result = quiet_cli("dossier", "submit", str(path), now="2021-05-03T10:00")
            _judged(quiet_cli, result, before)
            seen += 1
    assert seen == len(places) * len(HOSTILE) > 400
