"""Importing exports of Démarches Simplifiées: the 2021 CSV fixture and the current formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.helpers import ROOT

FIXTURE = ROOT.parent / "shared" / "fixtures" / "ds-export-2021.csv"
pytestmark = pytest.mark.skipif(not FIXTURE.exists(),
                                reason="shared/fixtures is not beside the repository")


def fixture_rows() -> tuple[list[str], list[dict[str, str]]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def fixed_rows(*, drop: tuple[str, ...] = ()) -> tuple[list[str], list[dict[str, str]]]:
    """The fixture without the rows whose DS number is in ``drop``."""
    header, rows = fixture_rows()
    return header, [row for row in rows if row["ID"] not in drop]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def imported(cli, path, *extra):
    return cli("dossier", "import", str(path), *extra, now="2021-05-25T09:00")


def test_the_fixture_as_shipped_is_refused_for_its_one_wrong_row_and_nothing_is_written(cli):
    before = cli.digest()
    result = imported(cli, FIXTURE)
    assert result.code == 2
    assert "1 ligne invalide" in result.err
    assert "ligne 5 (dossier DS 41004) : « Financement demandé (€) (requested_eur) »" in result.err
    assert "rien n'a été importé" in result.err
    assert cli.digest() == before


def test_valid_rows_are_filed_once_with_their_history(cli, tmp_path):
    path = write_csv(tmp_path / "ds.csv", *fixed_rows(drop=("41004",)))
    out = cli.ok("dossier", "import", str(path), now="2021-05-25T09:00")
    assert "41001 → BZH-2021-0001" in out and "3 dossiers importés" in out
    listed = json.loads(cli.ok("dossier", "list", "--json"))
    assert [(d["state"], d["department"], d["measure"]) for d in listed] == [
        ("submitted", "22", "3a"), ("instruction", "29", "3c"), ("submitted", "35", "3b")]
    kerbras = json.loads(cli.ok("dossier", "show", "BZH-2021-0002", "--json"))
    assert [(h["event"], h["at"]) for h in kerbras["history"]] == [
        ("submit", "2021-05-04T16:40:02+02:00"), ("start_instruction", "2021-05-20T09:00:00+02:00")]
    assert kerbras["history"][1]["actor"] == "instructeur.29@example.org"
    assert kerbras["form"]["presentation"].count("\n") >= 1
    pays = json.loads(cli.ok("dossier", "show", "BZH-2021-0003", "--json"))
    assert [m["name"] for m in pays["form"]["members"]] == [
        "Commune A-Test", "Commune B-Test", "Commune C-Test"]
    again = cli.ok("dossier", "import", str(path), now="2021-05-26T09:00")
    assert "0 dossier importé, 3 déjà importés" in again
    assert len(json.loads(cli.ok("dossier", "list", "--json"))) == 3


def test_dry_run_checks_everything_and_writes_nothing(cli, tmp_path):
    path = write_csv(tmp_path / "ds.csv", *fixed_rows(drop=("41004",)))
    before = cli.digest()
    assert "3 à importer" in cli.ok("dossier", "import", str(path), "--dry-run")
    assert cli.digest() == before


def test_decided_dossiers_come_with_their_decision(cli, tmp_path):
    header, rows = fixed_rows(drop=("41004",))
    decisions = (("accepte", "Projet retenu"), ("refuse", "Hors champ"), ("sans_suite", ""))
    for row, (state, motivation) in zip(rows, decisions, strict=True):
        row.update({"État du dossier": state, "Traité le": "22/06/2021 11:00",
                    "Motivation de la décision": motivation})
    cli.ok("dossier", "import", str(write_csv(tmp_path / "ds.csv", header, rows)),
           now="2021-06-25T09:00")
    states = [d["state"] for d in json.loads(cli.ok("dossier", "list", "--json"))]
    assert states == ["accepted", "refused", "withdrawn"]
    accepted = json.loads(cli.ok("dossier", "show", "BZH-2021-0001", "--json"))
    assert accepted["history"][-1]["event"] == "accept"
    assert accepted["history"][-1]["reason"] == "Projet retenu"
    assert accepted["history"][-1]["at"] == "2021-06-22T11:00:00+02:00"
    assert json.loads(cli.ok("budget", "--json"))["committed_eur"] == accepted["awarded_eur"]


def _current_format(header, rows):
    """Today's export: À archiver, FranceConnect ?, split département, newer update column."""
    new_header = []
    for name in header:
        if name == "Archivé":
            new_header.append("À archiver")
        elif name == "Département":
            new_header += ["Département", "Département (Code)"]
        else:
            new_header.append(name)
        if name == "Email":
            new_header.append("FranceConnect ?")
        if name == "Dernière mise à jour le":
            new_header.append("Dernière mise à jour du dossier le")
    for row in rows:
        row["À archiver"] = row.pop("Archivé")
        code, label = row["Département"].split(" - ", 1)
        row["Département"], row["Département (Code)"] = label, code
        row["FranceConnect ?"] = "false"
        row["Dernière mise à jour du dossier le"] = row["Dernière mise à jour le"]
        row["Déposé le"] = row["Déposé le"].replace(" +0200", "+02:00").replace(" ", "T")
    return new_header, rows


def test_the_current_csv_format_is_read(cli, tmp_path):
    header, rows = _current_format(*fixed_rows(drop=("41004",)))
    path = write_csv(tmp_path / "ds-2024.csv", header, rows)
    assert "3 dossiers importés" in cli.ok("dossier", "import", str(path))
    assert [d["department"] for d in json.loads(cli.ok("dossier", "list", "--json"))] == [
        "22", "29", "35"]


def test_the_current_xlsx_format_joins_the_establishments_sheet(cli, tmp_path):
    header, rows = _current_format(*fixed_rows(drop=("41004",)))
    establishment = [h for h in header if h.startswith(("Établissement", "Entreprise"))
                     and h != "Entreprise raison sociale"]
    main = [h for h in header if h not in establishment]
    book = Workbook()
    sheet = book.active
    sheet.title = "Dossiers"
    sheet.append(main)
    for row in rows:
        sheet.append([row[h] for h in main])
    others = book.create_sheet("Etablissements")
    others.append(["Dossier ID", "Champ", *establishment])
    for row in rows:
        others.append([int(row["ID"]), "Demandeur", *[row[h] for h in establishment]])
    path = tmp_path / "ds.xlsx"
    book.save(path)
    assert "3 dossiers importés" in cli.ok("dossier", "import", str(path))
    shown = json.loads(cli.ok("dossier", "show", "BZH-2021-0001", "--json"))
    assert shown["applicant"]["siren"] == rows[0]["Entreprise SIREN"]


def test_a_mapping_file_reads_a_form_with_other_labels(cli, tmp_path):
    header, rows = fixed_rows(drop=("41004",))
    header = ["Intitulé du projet" if h == "Titre du projet" else h for h in header]
    for row in rows:
        row["Intitulé du projet"] = row.pop("Titre du projet")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\ntitle = "Intitulé du projet"\n', encoding="utf-8")
    path = write_csv(tmp_path / "ds.csv", header, rows)
    assert imported(cli, path).code == 2  # without the mapping the title is missing
    cli.ok("dossier", "import", str(path), "--mapping", str(mapping))
    titles = [json.loads(cli.ok("dossier", "show", f"BZH-2021-000{n}", "--json"))["title"]
              for n in (1, 2, 3)]
    assert titles[0] == "Diagnostic numérique de la commune"
    before = cli.digest()
    mapping.write_bytes('[columns]\ntitle = "Intitulé du projet"\n'.encode("latin-1"))
    result = cli("dossier", "import", str(path), "--mapping", str(mapping))
    assert result.code == 2 and f"{mapping} : le fichier n'est pas en UTF-8" in result.err
    assert cli.digest() == before


@pytest.mark.parametrize(("column", "value", "named"), [
    ("Type de collectivité", "Entreprise", "« Type de collectivité » : valeur inconnue"),
    ("Date de fin prévisionnelle", "bientôt", "« Date de fin prévisionnelle » : date illisible"),
    ("ID", "", "numéro de dossier manquant"),
    ("État du dossier", "perdu", "« État du dossier » : état inconnu"),
    ("Téléphone", "12", "« Téléphone (contact.phone) »"),
    # a real day, but none the engine works with (0001-01-01 in Paris is no instant in UTC)
    ("Déposé le", "0001-01-01", "« Déposé le » : date hors des années possibles"),
    ("Passé en instruction le", "0001-01-01", "« Passé en instruction le » : date hors des"),
])
def test_malformed_rows_name_the_row_and_the_column(cli, tmp_path, column, value, named):
    header, rows = fixed_rows(drop=("41004",))
    rows[1][column] = value
    before = cli.digest()
    result = imported(cli, write_csv(tmp_path / "ds.csv", header, rows))
    assert result.code == 2 and "ligne 3" in result.err and named in result.err
    assert cli.digest() == before


@pytest.mark.parametrize(("motivation", "named"), [
    ("Hors champ\u202e", "caractère de contrôle"),
    ("x" * 5001, "la motivation fait 5001 caractères"),
])
def test_a_decision_motivation_the_engine_would_refuse_names_its_row_and_column(
        cli, tmp_path, motivation, named):
    header, rows = fixed_rows(drop=("41004",))
    rows[1].update({"État du dossier": "refuse", "Traité le": "22/06/2021",
                    "Motivation de la décision": motivation})
    before = cli.digest()
    result = imported(cli, write_csv(tmp_path / "ds.csv", header, rows))
    assert result.code == 2, result.err
    assert "ligne 3" in result.err and f"« Motivation de la décision » : {named}" in result.err
    assert cli.digest() == before


def test_a_refused_project_filed_again_under_another_ds_number_is_refused(cli, tmp_path):
    header, rows = fixed_rows(drop=("41002", "41003", "41004"))
    rows[0].update({"État du dossier": "refuse", "Traité le": "22/06/2021",
                    "Motivation de la décision": "Hors champ"})
    cli.ok("dossier", "import", str(write_csv(tmp_path / "first.csv", header, rows)),
           now="2021-06-25T09:00")
    rows[0].update({"ID": "42001", "État du dossier": "en_construction", "Traité le": ""})
    before = cli.digest()
    result = imported(cli, write_csv(tmp_path / "again.csv", header, rows))
    assert result.code == 1
    assert "ligne 2 (dossier DS 42001)" in result.err and "BZH-2021-0001" in result.err
    assert cli.digest() == before
