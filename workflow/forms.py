"""The files people send: the dossier form (annex 1) and the quarterly report."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
)

from states.money import AmountError, parse_eur
from states.periods import Quarter
from workflow.errors import InvalidInput

# The form's coded answers, each as a page, a list or a chart says it in French.
KIND_LABELS = {"commune": "commune", "epci": "EPCI", "departement": "département",
               "region": "région", "groupement": "groupement", "syndicat": "syndicat",
               "other": "autre"}
STAGE_LABELS = {"reflection": "réflexion", "implementation": "mise en œuvre", "usage": "usage"}
REPORT_STATUS_LABELS = {"on_track": "dans les temps", "late": "en retard", "at_risk": "en risque"}
KINDS = tuple(KIND_LABELS)
MEASURES = ("3a", "3b", "3c", "3d")
STAGES = tuple(STAGE_LABELS)
REPORT_STATUSES = tuple(REPORT_STATUS_LABELS)
# Départements of France: 01-95 with Corsica's 2A/2B instead of 20, and the overseas 971-976.
DEPARTMENTS = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"] + [str(n) for n in range(971, 977)]
)
MAX_PRESENTATION_LINES = 10


def _cents(value: Any) -> int:
    try:
        return parse_eur(value)
    except AmountError as exc:
        raise ValueError(str(exc)) from None


def _siren(value: Any) -> str:
    import re

    from stdnum.fr import siren

    text = str(value).replace(" ", "") if isinstance(value, str | int) else ""
    if not re.fullmatch(r"[0-9]{9}", text):  # ASCII digits: a full-width ９ is not a digit here
        raise ValueError(f"« {value} » n'est pas un SIREN (9 chiffres)")
    if not siren.is_valid(text):
        raise ValueError(f"« {value} » n'est pas un SIREN valide (clé de contrôle fausse)")
    return text


def _email(value: Any) -> str:
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str):
        raise ValueError("adresse électronique attendue")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(f"« {value} » n'est pas une adresse électronique valide") from None


_FRENCH_CODES = {33, 262, 269, 508, 590, 594, 596, 681, 687, 689}


def _phone(value: Any) -> str:
    import phonenumbers

    if not isinstance(value, str):
        raise ValueError("numéro de téléphone attendu")
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise ValueError(f"« {value} » n'est pas un numéro de téléphone") from None
    if number.country_code not in _FRENCH_CODES or not phonenumbers.is_valid_number(number):
        raise ValueError(f"« {value} » n'est pas un numéro de téléphone français valide")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _department(value: Any) -> str:
    text = str(value).strip().upper() if isinstance(value, str | int) else ""
    if len(text) == 1:
        text = "0" + text
    if text not in DEPARTMENTS:
        raise ValueError(f"« {value} » n'est pas un code de département")
    return text


# What may never reach a stored name, a title or a mail header: control characters (NUL, CR,
# LF…) and the bidirectional overrides that make a text read otherwise than it is.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069"


def _one_line(value: str) -> str:
    import re

    if re.search(f"[{_CONTROLS}\n\r\t]", value):
        raise ValueError("caractère de contrôle ou de direction d'écriture interdit (retour à la "
                         "ligne, NUL, U+202E…)")
    return value


def _text(value: str) -> str:
    import re

    if re.search(f"[{_CONTROLS}]", value):
        raise ValueError("caractère de contrôle ou de direction d'écriture interdit (NUL, U+202E…)")
    return value


def _in_range(value: date) -> date:
    from workflow.clock import within_years

    return within_years(value)


Cents = Annotated[int, BeforeValidator(_cents)]
Day = Annotated[date, AfterValidator(_in_range)]
Siren = Annotated[str, BeforeValidator(_siren)]
Email = Annotated[str, BeforeValidator(_email)]
Phone = Annotated[str, BeforeValidator(_phone)]
DepartmentCode = Annotated[str, BeforeValidator(_department)]
Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_text)]
Line = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_one_line)]


# A motivation is read in the owner's email, on the dossier's page and in the minutes: a page or
# two of text, not a document (a 2 Mo one would make an email and a minutes PDF of 2 Mo each).
MAX_MOTIVATION = 5000


def motivation(reason: str | None, *, field: str = "--reason") -> None:
    """A motivation (--reason) as the owner's email and the minutes will show it: several lines
    allowed, at most ``MAX_MOTIVATION`` characters, no control character or direction override
    (nor a NUL no base can store)."""
    if reason is None:
        return
    if len(reason) > MAX_MOTIVATION:
        raise InvalidInput(f"la motivation fait {len(reason)} caractères, au plus "
                           f"{MAX_MOTIVATION} : la résumer", field=field)
    try:
        _text(reason)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Applicant(_Strict):
    name: Line
    kind: Literal["commune", "epci", "departement", "region", "groupement", "syndicat", "other"]
    population: Annotated[StrictInt, Field(ge=0, le=100_000_000)] | None = None
    siren: Siren
    department: DepartmentCode


class Contact(_Strict):
    last_name: Line
    first_name: Line
    function: Line
    address: Text
    email: Email
    phone: Phone


class Member(_Strict):
    name: Line
    siren: Siren | None = None


class DossierForm(_Strict):
    applicant: Applicant
    contact: Contact
    measure: Literal["3a", "3b", "3c", "3d"]
    title: Line
    presentation: Text
    stage: Literal["reflection", "implementation", "usage"]
    total_cost_eur: Cents
    requested_eur: Cents
    end_date: Day
    members: list[Member] = []
    commitment: StrictBool  # the JSON true, not "oui" nor 1
    signatory: Line
    signed_on: Day

    @field_validator("members", mode="before")
    @classmethod
    def _names_alone(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("presentation")
    @classmethod
    def _ten_lines(cls, value: str) -> str:
        lines = value.splitlines()
        if len(lines) > MAX_PRESENTATION_LINES:
            raise ValueError(
                f"la présentation fait {len(lines)} lignes, au plus {MAX_PRESENTATION_LINES}"
            )
        return value

    @field_validator("commitment")
    @classmethod
    def _committed(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("l'engagement du signataire est obligatoire (true)")
        return value

    @field_validator("total_cost_eur", "requested_eur")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("le montant doit être positif")
        return value


class Company(_Strict):
    name: Line
    siren: Siren
    department: DepartmentCode


class ReportForm(_Strict):
    period: str
    progress: Text
    percent_done: Annotated[StrictInt, Field(ge=0, le=100)]
    end_date: Day
    status: Literal["on_track", "late", "at_risk"]
    companies: list[Company] = []

    @field_validator("period")
    @classmethod
    def _quarter(cls, value: str) -> str:
        return str(Quarter.parse(value))


def read_json(path: Path) -> Any:
    """A JSON file (UTF-8, with or without the BOM Windows writes), numbers with decimals read as
    Decimal (never float)."""
    return parse_json(read_text(path), str(path))


# What the json module says of a text that is not JSON, in French (its whole list).
_JSON_SAYS = {
    "Expecting value": "une valeur est attendue ici",
    "Expecting property name enclosed in double quotes":
        "un nom de champ entre guillemets droits (\") est attendu ici",
    "Expecting ':' delimiter": "« : » attendu ici",
    "Expecting ',' delimiter": "« , » attendu ici",
    "Unterminated string starting at": "texte commencé ici et jamais fermé par un guillemet",
    "Invalid control character at": "caractère de contrôle dans un texte",
    "Invalid \\escape": "échappement « \\ » inconnu",
    "Invalid \\uXXXX escape": "échappement « \\u » incomplet (quatre chiffres hexadécimaux)",
    "Extra data": "du texte après la fin du document",
}


def parse_json(text: str, file: str) -> Any:
    """The JSON ``text`` of ``file`` (a path, the name of an uploaded file, an API body), as
    read_json. JSON may write a NUL (``"\\u0000"``) or half of a UTF-16 pair alone
    (``"\\ud800"``, no character at all): no base stores either in a text, so each is bad input
    in its field, on every engine."""
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
        where = _unstorable(document, ())
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"JSON invalide ligne {exc.lineno}, colonne {exc.colno} : "
                           f"{_JSON_SAYS.get(exc.msg, exc.msg)}", file=file) from None
    except RecursionError:
        raise InvalidInput("JSON imbriqué trop profondément", file=file) from None
    except ValueError as exc:  # NaN, Infinity, or an integer too long for Python to read
        raise InvalidInput(f"JSON invalide : {exc}", file=file) from None
    if where is not None:
        from workflow.validation import field_path

        path, found = where
        why = (NUL_REFUSED if found == "\x00" else
               "texte invalide : une moitié de paire UTF-16 seule (\\ud800 à \\udfff) n'est pas "
               "un caractère")
        raise InvalidInput(why, field=field_path(path), file=file)
    return document


NUL_REFUSED = "caractère NUL (0x00) : aucune base ne l'enregistre dans un texte"
# What no base stores in a text: NUL, and half of a UTF-16 pair alone.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any, at: tuple[int | str, ...]) -> tuple[tuple[int | str, ...], str] | None:
    """Where the first text no base stores is in a parsed JSON document (a field's name holding
    it: that field), with the character found; or None."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        return (at, found.group()) if found else None
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, list) else ())
    for key, item in items:
        if isinstance(key, str) and (bad := _UNSTORABLE.search(key)):  # named as written: \ud800
            return (*at, key.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                    .replace("\x00", "\\x00")), bad.group()
        inside = _unstorable(item, (*at, key))
        if inside is not None:
            return inside
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} n'est pas un nombre JSON")


MAX_FILE = 1_000_000  # a guichet file, a form or a report people send is a few kilobytes


def too_large(file: str) -> InvalidInput:
    return InvalidInput(f"fichier trop gros (plus de {MAX_FILE // 1000} ko)", file=file)


def read_text(path: Path) -> str:
    """A text file people send: UTF-8 (a BOM is dropped), or a message naming the first bad byte;
    past MAX_FILE, not read further (``/dev/zero`` is no file to hold in memory)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise InvalidInput("fichier introuvable", file=str(path)) from None
    except IsADirectoryError:
        raise InvalidInput("c'est un dossier, pas un fichier", file=str(path)) from None
    except OSError as exc:
        raise InvalidInput(f"fichier illisible ({exc.strerror or exc})", file=str(path)) from None
    if len(raw) > MAX_FILE:
        raise too_large(str(path))
    return decoded(raw, str(path))


def decoded(raw: bytes, file: str, *, what: str = "le fichier") -> str:
    """The bytes of a file people send as text: UTF-8 (a BOM is dropped), or the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what} n'est pas en UTF-8 (octet {exc.start} : "
                           f"0x{raw[exc.start]:02x})", file=file) from None


def _outside(day: date, years: tuple[date, date]) -> str | None:
    first, last = years
    if first <= day <= last:
        return None
    return (f"le {day:%d/%m/%Y} est hors des années du programme (du {first:%d/%m/%Y} au "
            f"{last:%d/%m/%Y})")


def dossier_form(
    data: Any, *, file: str | None, departments: frozenset[str], today: date,
    years: tuple[date, date], row: int | None = None
) -> DossierForm:
    """A valid dossier form for this guichet, or InvalidInput naming the field."""
    from workflow.validation import parse

    form = parse(DossierForm, data, file=file, row=row)

    def wrong(field: str, message: str) -> InvalidInput:
        return InvalidInput(message, field=field, file=file, row=row)

    if form.requested_eur > form.total_cost_eur:
        raise wrong("requested_eur", "le montant demandé dépasse le coût total du projet")
    if form.applicant.department not in departments:
        known = ", ".join(sorted(departments))
        raise wrong(
            "applicant.department",
            f"le département {form.applicant.department} n'est pas de ce guichet ({known})",
        )
    if form.signed_on > today:
        raise wrong("signed_on", f"la date de signature ({form.signed_on}) est dans le futur")
    for field in ("signed_on", "end_date"):
        outside = _outside(getattr(form, field), years)
        if outside:
            raise wrong(field, outside)
    if form.end_date < form.signed_on:
        raise wrong("end_date", "la date de fin précède la date de signature")
    return form


def report_form(data: Any, *, file: str | None, years: tuple[date, date]) -> ReportForm:
    from workflow.validation import parse

    report = parse(ReportForm, data, file=file)
    outside = _outside(report.end_date, years)
    if outside:
        raise InvalidInput(outside, field="end_date", file=file)
    return report
