"""Import an export of Démarches Simplifiées (CSV or XLSX, 2021 and current formats).

Every row is read and validated first; nothing is written unless every row is valid. Rows already
imported (same DS number) are skipped, so importing a file twice files nothing twice. Dossiers
already decided in DS come with their history (filing, instruction, decision with motivation).
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from states.eligibility import normalise
from states.lifecycle import DossierState
from states.money import AmountError, parse_eur
from workflow import context
from workflow.clock import OutOfYears, within_years
from workflow.db import UnitOfWork
from workflow.dossiers import file_form, record
from workflow.errors import InvalidInput, Refused
from workflow.forms import DossierForm, dossier_form, motivation, read_text
from workflow.french import count_fr
from workflow.models import Dossier

DEFAULT_MAPPING = Path(__file__).resolve().parents[1] / "examples" / "ds-mapping.toml"
KINDS = {"commune": "commune", "commune et commune nouvelle": "commune", "epci": "epci",
         "departement": "departement", "region": "region", "groupement": "groupement",
         "syndicat": "syndicat", "autre": "other"}
STAGES = {"reflexion conception": "reflection", "mise en uvre realisation": "implementation",
          "mise en oeuvre realisation": "implementation", "usage valorisation": "usage"}
STATES = {"en construction": "submitted", "en instruction": "instruction",
          "accepte": "accepted", "refuse": "refused", "sans suite": "withdrawn"}
YES = {"oui", "true", "vrai", "1", "x"}


@dataclass
class Row:
    number: int  # the row as a spreadsheet shows it (header is row 1)
    cells: dict[str, str]
    ds_number: str = ""
    form: DossierForm | None = None
    state: str = "submitted"
    history: dict[str, Any] = field(default_factory=dict)


def read_mapping(path: Path | None) -> dict[str, str]:
    base = tomllib.loads(DEFAULT_MAPPING.read_text(encoding="utf-8"))["columns"]
    if path is None:
        return dict(base)
    try:
        given = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"correspondance illisible ({exc})", file=str(path)) from None
    unknown = set(given.get("columns", {})) - set(base)
    if unknown:
        raise InvalidInput(f"champ inconnu ({', '.join(sorted(unknown))})", file=str(path),
                           field="columns")
    return {**base, **given.get("columns", {})}


def _rows_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        yield from csv.DictReader(handle, delimiter=delimiter)


def _rows_xlsx(path: Path) -> Iterator[dict[str, str]]:
    """The main sheet, each row joined with its establishment (sheet `Etablissements`)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)

    def sheet_rows(sheet: Any) -> list[dict[str, str]]:
        rows = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, [])]
        return [{h: "" if v is None else _text(v) for h, v in zip(header, row, strict=False)}
                for row in rows if any(v is not None for v in row)]

    main = sheet_rows(book.worksheets[0])
    establishments: dict[str, dict[str, str]] = {}
    if "Etablissements" in book.sheetnames:
        for row in sheet_rows(book["Etablissements"]):
            establishments.setdefault(row.get("Dossier ID", ""), row)
    for row in main:
        yield {**establishments.get(row.get("ID", ""), {}), **row}


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of an export; a file that is no export, or holds no dossier, says so."""
    from zipfile import BadZipFile

    if not path.is_file():
        raise InvalidInput("fichier introuvable" if not path.exists() else "ce n'est pas un fichier",
                           file=str(path))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput("extension attendue : .csv ou .xlsx", file=str(path))
    if path.stat().st_size == 0:
        raise InvalidInput("le fichier est vide", file=str(path))
    try:
        rows = list(_rows_csv(path) if suffix == ".csv" else _rows_xlsx(path))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"le fichier n'est pas en UTF-8 (octet {exc.start})",
                           file=str(path)) from None
    except BadZipFile:
        raise InvalidInput("ce n'est pas un classeur XLSX (export Démarches Simplifiées attendu)",
                           file=str(path)) from None
    except (csv.Error, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"fichier illisible ({exc})", file=str(path)) from None
    if not rows:
        raise InvalidInput("aucun dossier dans le fichier (seulement un en-tête)", file=str(path))
    return rows


def lenient_instant(text: str, tz: str) -> datetime | None:
    """ISO 8601 with or without offset, ``2021-05-03 10:12:44 +0200``, or dd/mm/yyyy."""
    text = text.strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})(?:\s+(\d{2}):(\d{2}))?", text)
    if match:
        day, month, year, hour, minute = match.groups()
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    else:
        value = datetime.fromisoformat(re.sub(r"\s([+-]\d{2})(\d{2})$", r"\1:\2", text))
    within_years(value.date())  # 0001-01-01 in Paris is no instant in UTC
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


class _Cells:
    """Reads one row through the mapping, naming the column in every error."""

    def __init__(self, row: Row, mapping: dict[str, str], file: str) -> None:
        self.row, self.mapping, self.file = row, mapping, file

    def wrong(self, label: str, message: str) -> InvalidInput:
        where = f"ligne {self.row.number}" + (f" (dossier DS {self.row.ds_number})"
                                              if self.row.ds_number else "")
        return InvalidInput(f"{where} : « {label} » : {message}", file=self.file)

    def raw(self, label: str) -> str:
        return (self.row.cells.get(label) or "").strip()

    def get(self, name: str) -> str:
        return self.raw(self.mapping[name])

    def coded(self, name: str, table: dict[str, str]) -> str:
        label = self.mapping[name]
        text = self.raw(f"{label} (Code)") or self.raw(label)  # current format splits codes out
        key = normalise(text.split(" - ")[0] if name == "department" else text)
        if name in ("department", "measure"):
            return text.split(" - ")[0].strip()
        if key not in table:
            raise self.wrong(label, f"valeur inconnue « {text} »")
        return table[key]

    def day(self, name: str) -> date | str:
        """A date read leniently; an empty cell is left for validation to call missing."""
        instant = self.instant(self.mapping[name], "UTC")
        return instant.date() if instant else ""

    def instant(self, label: str, tz: str) -> datetime | None:
        try:
            return lenient_instant(self.raw(label), tz)
        except OutOfYears as exc:
            raise self.wrong(label, str(exc)) from None
        except ValueError:
            raise self.wrong(label, f"date illisible « {self.raw(label)} »") from None


def _form_data(cells: _Cells) -> dict[str, Any]:
    population = cells.get("population").replace(" ", "").replace("\u202f", "")
    members = [m.strip() for m in re.split(r"[;\n]", cells.get("members")) if m.strip()]
    return {
        "applicant": {"name": cells.raw("Entreprise raison sociale"),
                      "kind": cells.coded("kind", KINDS),
                      "population": int(population) if population.isdigit() else None,
                      "siren": cells.raw("Entreprise SIREN"),
                      "department": cells.coded("department", {})},
        "contact": {"last_name": cells.get("contact_last_name"),
                    "first_name": cells.get("contact_first_name"),
                    "function": cells.get("contact_function"),
                    "address": cells.raw("Établissement Adresse") or "(non renseignée)",
                    "email": cells.raw("Email"), "phone": cells.get("contact_phone")},
        "measure": cells.coded("measure", {}),
        "title": cells.get("title"),
        "presentation": cells.get("presentation").replace("\r\n", "\n"),
        "stage": cells.coded("stage", STAGES),
        "total_cost_eur": cells.get("total_cost"),
        "requested_eur": cells.get("requested"),
        "end_date": cells.day("end_date"),
        "members": members,
        "commitment": normalise(cells.get("commitment")) in YES,
        "signatory": cells.get("signatory"),
        "signed_on": cells.day("signed_on"),
    }


def validate(rows: list[dict[str, str]], *, mapping: dict[str, str], file: str,
             loaded: context.Loaded, today: date) -> list[Row]:
    """Every row checked before anything is written; each error names its row and column."""
    checked, errors = [], []
    for index, cells_ in enumerate(rows, start=2):
        try:
            checked.append(_validate_row(Row(index, cells_, ds_number=(cells_.get("ID") or "")
                                             .strip()), mapping, file, loaded, today))
        except InvalidInput as error:
            errors.append(error.message.removeprefix(f"{file} : "))
    if errors:
        shown = " ; ".join(errors[:10]) + (f" ; et {count_fr(len(errors) - 10, 'autre')}"
                                           if len(errors) > 10 else "")
        raise InvalidInput(f"{count_fr(len(errors), 'ligne invalide', 'lignes invalides')}, rien n'a été "
                           f"importé : {shown}",
                           file=file)
    return checked


def _validate_row(row: Row, mapping: dict[str, str], file: str, loaded: context.Loaded,
                  today: date) -> Row:
    cells = _Cells(row, mapping, file)
    if not row.ds_number:
        raise cells.wrong("ID", "numéro de dossier manquant")
    status = normalise(cells.raw("État du dossier")).replace("_", " ")
    if status not in STATES:
        raise cells.wrong("État du dossier", f"état inconnu « {cells.raw('État du dossier')} »")
    row.state = STATES[status]
    data = _form_data(cells)
    try:
        row.form = dossier_form(data, file=None, departments=loaded.config.department_codes,
                                years=loaded.config.programme_years, today=today)
    except InvalidInput as error:
        label = _label_of(error.field or "", mapping)
        raise cells.wrong(label, error.message.split(" : ", 1)[-1]) from None
    awarded = cells.get("awarded") if "awarded" in mapping else ""
    try:
        amount = parse_eur(awarded) if awarded else row.form.requested_eur
    except AmountError as exc:
        raise cells.wrong(mapping["awarded"], str(exc)) from None
    decided_why = cells.raw("Motivation de la décision") or None
    try:
        motivation(decided_why)
    except InvalidInput as error:
        raise cells.wrong("Motivation de la décision", error.message.split(" : ", 1)[-1]) from None
    row.history = {
        "filed": cells.instant("Déposé le", loaded.tz),
        "instructed": cells.instant("Passé en instruction le", loaded.tz),
        "decided": cells.instant("Traité le", loaded.tz),
        "motivation": decided_why,
        "instructor": (cells.raw("Instructeurs").split(",")[0].strip() or None),
        "owner": cells.raw("Email"), "awarded": amount,
    }
    return row


def _label_of(path: str, mapping: dict[str, str]) -> str:
    fixed = {"applicant.siren": "Entreprise SIREN", "applicant.name": "Entreprise raison sociale",
             "contact.email": "Email", "contact.address": "Établissement Adresse"}
    ours = {"applicant.kind": "kind", "applicant.population": "population",
            "applicant.department": "department", "contact.last_name": "contact_last_name",
            "contact.first_name": "contact_first_name", "contact.function": "contact_function",
            "contact.phone": "contact_phone", "total_cost_eur": "total_cost",
            "requested_eur": "requested"}
    head = path.split("[")[0]
    if head in fixed:
        return fixed[head]
    name = ours.get(head, head)
    return f"{mapping.get(name, name)} ({path})"


def _file_one(uow: UnitOfWork, loaded: context.Loaded, row: Row, now: datetime) -> str:
    """One dossier with the history DS already holds; guards are DS's, not re-run here."""
    assert row.form is not None
    session, history, ds = uow.session, row.history, "import Démarches Simplifiées"
    try:
        dossier = file_form(uow, loaded, row.form, actor=history["owner"],
                            filed_at=history["filed"] or now, now=now, ds_number=row.ds_number,
                            data={"ds_number": row.ds_number, "source": ds})
    except Refused as refusal:
        raise Refused(f"ligne {row.number} (dossier DS {row.ds_number}) : {refusal.message}"
                      ) from None
    filed = history["filed"] or now
    steps: list[tuple[str, DossierState, DossierState, datetime | None, str | None]] = []
    if row.state != "submitted":
        if row.state != "withdrawn" or history["instructed"]:
            steps.append(("start_instruction", DossierState.submitted, DossierState.instruction,
                          history["instructed"] or filed, None))
        final = {"accepted": ("accept", DossierState.accepted),
                 "refused": ("refuse", DossierState.refused),
                 "withdrawn": ("withdraw", DossierState.withdrawn)}.get(row.state)
        if final is not None:
            source = steps[-1][2] if steps else DossierState.submitted
            steps.append((final[0], source, final[1], history["decided"] or now,
                          history["motivation"]))
    for event, source, dest, at, reason in steps:
        record(session, dossier, event, source, dest, actor=history["instructor"] or ds,
               now=at or now, reason=reason, data={"source": ds})
        dossier.state = dest.value
    if row.state == "accepted":
        dossier.awarded_cents = history["awarded"]
    session.add(dossier)
    return dossier.reference


def run(uow: UnitOfWork, *, path: Path, mapping_file: Path | None, now: datetime,
        dry_run: bool, progress: Callable[[list[Row]], Any] = lambda rows: rows,
        ) -> dict[str, Any]:
    loaded = context.guichet(uow.session, lock=True)
    rows = validate(read_rows(path), mapping=read_mapping(mapping_file), file=str(path),
                    loaded=loaded, today=loaded.today(now))
    known = dict(uow.session.exec(select(Dossier.ds_number, Dossier.guichet_id).where(
        Dossier.ds_number.in_([r.ds_number for r in rows]))).all())  # type: ignore[union-attr]
    for row in rows:
        # A Démarches Simplifiées number is one dossier of the whole platform: it is filed once.
        if known.get(row.ds_number, loaded.id) != loaded.id:
            raise Refused(f"ligne {row.number} (dossier DS {row.ds_number}) : ce dossier est déjà "
                          "déposé dans un autre guichet de cette base ; le retirer de l'export")
    fresh = [row for row in rows if row.ds_number not in known]
    filed = [] if dry_run else [(row.ds_number, _file_one(uow, loaded, row, now))
                                for row in progress(fresh)]
    return {"rows": len(rows), "already_imported": len(rows) - len(fresh),
            "to_import": len(fresh), "filed": filed, "dry_run": dry_run}
