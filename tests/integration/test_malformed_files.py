"""Malformed dossier and report files: exit 2, one line naming the field, nothing written."""

from __future__ import annotations

import json

import pytest

from tests.helpers import COORDINATOR, INSTRUCTOR, form, merge, report

ELEVEN_LINES = "\n".join(f"ligne {n}" for n in range(11))


def _without(path: str):
    def drop(data):
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[leaf]
        return data

    return drop


def _set(**changes):
    return lambda data: merge(data, changes)


DOSSIERS = [
    (_set(applicant={"siren": "123456789"}), "applicant.siren"),
    (_set(applicant={"siren": "12345"}), "applicant.siren"),
    (_set(applicant={"siren": "21220004A"}), "applicant.siren"),
    (_without("applicant.siren"), "applicant.siren"),
    (_set(contact={"email": "pas-une-adresse"}), "contact.email"),
    (_set(contact={"email": "a@b@example.org"}), "contact.email"),
    (_set(contact={"phone": "12"}), "contact.phone"),
    (_set(contact={"phone": "+44 20 7946 0958"}), "contact.phone"),
    (_set(presentation=ELEVEN_LINES), "presentation"),
    (_set(presentation=["une", "liste"]), "presentation"),
    (_set(requested_eur="60 000", total_cost_eur="48 000"), "requested_eur"),
    (_set(requested_eur="0"), "requested_eur"),
    (_set(total_cost_eur="-100"), "total_cost_eur"),
    (_set(total_cost_eur="beaucoup"), "total_cost_eur"),
    (_set(measure="3e"), "measure"),
    (_set(stage="terminé"), "stage"),
    (_set(applicant={"kind": "entreprise"}), "applicant.kind"),
    (_set(applicant={"department": "75"}), "applicant.department"),
    (_set(applicant={"department": "999"}), "applicant.department"),
    (_set(applicant={"population": -5}), "applicant.population"),
    (_without("applicant.name"), "applicant.name"),
    (_set(applicant="Commune"), "applicant"),
    (_without("contact"), "contact"),
    (_set(commitment=False), "commitment"),
    (_without("commitment"), "commitment"),
    (_set(end_date="2022-13-01"), "end_date"),
    (_set(end_date="2021-01-01"), "end_date"),
    (_set(signed_on="demain"), "signed_on"),
    (_set(signed_on="2031-01-01"), "signed_on"),
    (_set(budget="10000"), "budget"),
    (_set(title=""), "title"),
    (_without("signatory"), "signatory"),
    (_set(members=[{"siren": "212200042"}]), "members[0].name"),
    (_set(members=[{"name": "Commune X", "siren": "123"}]), "members[0].siren"),
]


@pytest.mark.parametrize(("mutate", "field"), DOSSIERS)
def test_malformed_dossier_exits_2_naming_the_field_and_writes_nothing(cli, tmp_path, mutate,
                                                                       field):
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps(mutate(form()), ensure_ascii=False))
    before = cli.digest()
    result = cli("dossier", "submit", str(path), now="2021-05-10T10:00")
    assert result.code == 2
    assert f" : {field} : " in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert cli.digest() == before


@pytest.mark.parametrize(("content", "words"), [
    ("{ pas du json", "JSON invalide ligne 1"),
    ("[1, 2]", "(document)"),
    ("", "JSON invalide"),
])
def test_unreadable_dossier_file_exits_2_naming_the_file(cli, tmp_path, content, words):
    path = tmp_path / "dossier.json"
    path.write_text(content)
    before = cli.digest()
    result = cli("dossier", "submit", str(path), now="2021-05-10T10:00")
    assert (result.code, str(path) in result.err, words in result.err) == (2, True, True)
    assert cli.digest() == before


def test_missing_dossier_file_exits_2(cli, tmp_path):
    result = cli("dossier", "submit", str(tmp_path / "absent.json"))
    assert result.code == 2 and "fichier introuvable" in result.err


def _company(**changes):
    def change(data):
        company = data["companies"][0]
        company.update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            del company[key]
        return data

    return change


REPORTS = [
    (_set(period="2021-Q5"), "period"),
    (_without("period"), "period"),
    (_set(percent_done=101), "percent_done"),
    (_set(percent_done=-1), "percent_done"),
    (_set(percent_done="beaucoup"), "percent_done"),
    (_set(status="fini"), "status"),
    (_set(end_date="31/02/2022"), "end_date"),
    (_set(progress=""), "progress"),
    (_set(note="hors format"), "note"),
    (_set(companies="Atelier"), "companies"),
    (_company(siren="123456789"), "companies[0].siren"),
    (_company(department="20"), "companies[0].department"),
    (_company(name=None), "companies[0].name"),
]


@pytest.fixture
def in_follow_up(cli, tmp_path):
    """A dossier of the 29 in follow-up since July 2021, driven through the command line."""
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(form(), ensure_ascii=False))
    reference = cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00")
    i29 = INSTRUCTOR["29"]
    cli.ok("dossier", "start_instruction", reference, now="2021-05-10T10:00", actor=i29)
    cli.ok("dossier", "schedule", reference, "--session", "2021-06-22", now="2021-05-11T10:00",
           actor=i29)
    cli.ok("session", "convene", "2021-06-22", now="2021-06-16T10:00", actor=COORDINATOR)
    cli.ok("session", "open", "2021-06-22", now="2021-06-22T09:00", actor=COORDINATOR)
    cli.ok("dossier", "accept", reference, "--amount", "30 000", "--reason", "Très bon projet",
           now="2021-06-22T10:00", actor=COORDINATOR)
    cli.ok("dossier", "send_agreement", reference, now="2021-06-25T10:00", actor=i29)
    cli.ok("dossier", "sign_agreement", reference, "--date", "2021-07-01", now="2021-07-02T10:00",
           actor=i29)
    return reference


@pytest.mark.parametrize(("mutate", "field"), REPORTS)
def test_malformed_report_exits_2_naming_the_field_and_writes_nothing(cli, tmp_path, in_follow_up,
                                                                      mutate, field):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(mutate(report()), ensure_ascii=False))
    before = cli.digest()
    result = cli("dossier", "submit_report", in_follow_up, "--file", str(path),
                 now="2022-01-10T10:00", actor=INSTRUCTOR["29"])
    assert result.code == 2
    assert f" : {field} : " in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert cli.digest() == before


def test_a_valid_report_is_taken(cli, tmp_path, in_follow_up):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report(), ensure_ascii=False))
    cli.ok("dossier", "submit_report", in_follow_up, "--file", str(path), now="2022-01-10T10:00",
           actor=INSTRUCTOR["29"])
    shown = json.loads(cli.ok("dossier", "show", in_follow_up, "--json"))
    assert shown["reports"][0]["companies"][0]["department"] == "22"


def _text_leaves(document, at=""):
    """The path of every text in ``document``, as an error names it (``contact.email``)."""
    if isinstance(document, str):
        yield at
    items = (document.items() if isinstance(document, dict)
             else enumerate(document) if isinstance(document, list) else ())
    for key, value in items:
        yield from _text_leaves(value, f"{at}[{key}]" if isinstance(key, int)
                                else f"{at}.{key}" if at else key)


def _put(document, path, value):
    import re

    *parents, leaf = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    for key in parents:
        document = document[key]
    document[leaf] = value


@pytest.mark.parametrize(("hostile", "said"), [
    ("Texte \ud800", "texte invalide : une moitié de paire UTF-16"),
    ("Texte\x00", "caractère NUL (0x00)"),  # PostgreSQL would refuse it, SQLite would keep it
])
def test_a_character_no_base_stores_in_any_text_of_a_file_is_bad_input_on_its_field(
        cli, tmp_path, in_follow_up, hostile, said):
    """JSON may write a NUL (``\\u0000``) or half of a UTF-16 pair alone (``\\ud800``); each
    text of a valid dossier and report in turn holds one, the others left valid."""
    documents = [("dossier", form(members=["Commune de Test"])), ("report", report())]
    before = cli.digest()
    for kind, valid in documents:
        for field in _text_leaves(valid):
            changed = json.loads(json.dumps(valid))
            _put(changed, field, hostile)
            path = tmp_path / f"{kind}.json"
            path.write_text(json.dumps(changed))  # ASCII: written \ud800, \u0000
            command = (["dossier", "submit", str(path)] if kind == "dossier" else
                       ["dossier", "submit_report", in_follow_up, "--file", str(path)])
            result = cli(*command, now="2022-01-10T10:00", actor=INSTRUCTOR["29"])
            assert result.code == 2, (field, result.err)
            assert f" : {field} : {said}" in result.err
    assert cli.digest() == before
