"""The guichet file (TOML): its settings, rules, départements, staff and sessions."""

from __future__ import annotations

import tomllib
from datetime import date, time
from decimal import Decimal
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from states.eligibility import Exclusion, Forfait
from workflow.errors import InvalidInput
from workflow.forms import Cents, DepartmentCode, Email, Line, Text

Day = date  # a field below is named `date`
Positive = Annotated[Cents, Field(gt=0)]
# A host's name or address as a Message-ID or a connection takes it: no space, no line break.
Host = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]+$", max_length=253)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Settings(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: Line
    reference_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,6}$")]
    region: Line
    timezone: Line = "Europe/Paris"
    envelope_eur: Positive
    envelopes: dict[str, Positive] = {}
    funding_cap: Annotated[Decimal, Field(gt=0, le=1)] = Decimal("1")
    results_deadline: date
    measures: list[Literal["3a", "3b", "3c", "3d"]] = ["3a", "3b", "3c", "3d"]
    eligible_kinds: list[
        Literal["commune", "epci", "departement", "region", "groupement", "syndicat", "other"]
    ] = ["commune", "epci", "departement", "region", "groupement", "syndicat", "other"]
    agenda_closes_days_before: Annotated[int, Field(ge=0, le=90)] = 7
    mail_domain: Host = "comite.example.org"  # the right side of every Message-ID
    templates: Line | None = None  # a folder of templates that replace the default ones
    # The days a form, a report or a signature may name: by default from three years before the
    # results deadline's year to three years after it.
    first_day: Day | None = None
    last_day: Day | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name no file can have
            raise ValueError(f"fuseau horaire inconnu « {value} »") from None
        return value


class ForfaitRule(_Strict):
    measure: Literal["3a", "3b", "3c", "3d"]
    kinds: list[str]
    population_below: Annotated[int, Field(gt=0)] | None = None
    amount_eur: Positive


class ExclusionRule(_Strict):
    code: Line
    label: Line
    keywords: list[Line]


class Rules(_Strict):
    one_individual_award: bool = True
    forfaits: list[ForfaitRule] = []
    exclusions: list[ExclusionRule] = []


class Contact(_Strict):
    name: Line
    email: Email
    address: Line | None = None  # postal address, on one line


class DecisionSettings(_Strict):
    """What a decision email says beyond the motivation: how to contest it, by when to rework."""

    authority: Line = "le préfet"  # whom a recours gracieux is addressed to
    tribunal: Line = "le tribunal administratif territorialement compétent"
    appeal: Text | None = None  # the whole « voies et délais de recours » text, replacing ours
    resubmit_within_days: Annotated[int, Field(ge=1, le=365)] | None = None

    def appeal_text(self) -> str:
        if self.appeal:
            return " ".join(self.appeal.split())
        return (f"Cette décision peut être contestée dans un délai de deux mois à compter de sa "
                f"notification, par un recours gracieux adressé {_to(self.authority)} ou par un "
                f"recours contentieux devant {self.tribunal}. Le tribunal administratif peut être "
                "saisi par l'application Télérecours citoyens, sur le site www.telerecours.fr.")


def _to(someone: str) -> str:
    """« à » before a name, contracted as French does: au préfet, aux services, à la préfète."""
    for article, contracted in (("le ", "au "), ("les ", "aux ")):
        if someone.lower().startswith(article):
            return contracted + someone[len(article):]
    return f"à {someone}"


class AgreementSettings(_Strict):
    """The financial agreement sent to a laureate."""

    template: Line | None = None  # a Jinja2 file beside the guichet file, attached to the email
    return_to: Line | None = None  # where the signed agreement goes (else the prefecture's address)


class CommitteeSettings(_Strict):
    """Where and when the selection committee meets (the convocation and its invitation)."""

    start: time = time(9, 30)
    hours: Annotated[int, Field(ge=1, le=12)] = 3
    place: Line | None = None
    visio_url: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None


class WebSettings(_Strict):
    """How staff log in (ProConnect, the State's OpenID Connect federation: the client secret is
    never in this file, it comes from COMITE_PROCONNECT_SECRET), and how owners reach the site."""

    proconnect_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None  # discovery
    proconnect_client_id: Line | None = None
    # The site's address as owners reach it (the links in their emails); COMITE_PUBLIC_URL wins.
    public_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")] | None = None
    link_days: Annotated[int, Field(ge=1, le=366)] = 120  # how long an emailed link opens


class FilingSettings(_Strict):
    """Filing online on the guichet's public page, from ``opens_on`` to ``closes_on`` (its days,
    both included). Without this table, dossiers come only by the command line or an import."""

    opens_on: Day
    closes_on: Day

    @model_validator(mode="after")
    def _in_order(self) -> FilingSettings:
        if self.closes_on < self.opens_on:
            raise ValueError("closes_on précède opens_on")
        return self


class WebhookEntry(_Strict):
    """A URL that receives a signed POST for every transition of the guichet's dossiers; its
    secret is read from the environment variable ``secret_env``, never from this file."""

    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    secret_env: Annotated[str, Field(pattern=r"^COMITE_WEBHOOK_[A-Z0-9_]+$")]


class DepartmentEntry(_Strict):
    code: DepartmentCode
    name: Line
    prefecture_contact: Contact


class StaffEntry(_Strict):
    email: Email
    name: Line
    role: Literal["coordinator", "instructor", "member"]
    department: DepartmentCode | None = None


class SessionEntry(_Strict):
    date: Day
    moved_from: Day | None = None


class ReportSettings(_Strict):
    contacts: list[Email] = []
    report_due_days: Annotated[int, Field(ge=0, le=90)] = 15


class CalendarSettings(_Strict):
    """When reminders go out, in days (business-day rules apply to due dates)."""

    reminder_days_before_due: Annotated[int, Field(ge=0, le=60)] = 7
    escalation_days_after_due: Annotated[int, Field(ge=1, le=120)] = 15
    agenda_reminder_days_before: Annotated[int, Field(ge=0, le=60)] = 3
    convene_by_days_before: Annotated[int, Field(ge=0, le=60)] = 10
    reminder_time: str = "08:00"
    monthly_list_time: str = "16:00"

    @field_validator("reminder_time", "monthly_list_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"« {value} » n'est pas une heure (HH:MM, ex. 08:00)") from None
        return value


class SmtpSettings(_Strict):
    host: Host = "127.0.0.1"
    port: Annotated[int, Field(gt=0, lt=65536)] = 25
    starttls: bool = False
    tls: bool = False
    username: Line | None = None
    mail_from: str = "comite <comite@example.org>"
    ca_file: Line | None = None  # the relay's certificate authority, if not a public one

    @field_validator("mail_from")
    @classmethod
    def _one_address(cls, value: str) -> str:
        from email.utils import parseaddr

        from workflow.forms import _email, _one_line

        _one_line(value)  # a header: no CR/LF, no control character
        name, address = parseaddr(value)
        if not address:
            raise ValueError(f"« {value} » n'est pas une adresse d'expéditeur (Nom <adresse>)")
        _email(address)
        return value


class GuichetFile(_Strict):
    guichet: Settings
    rules: Rules = Rules()
    departments: Annotated[list[DepartmentEntry], Field(min_length=1)]
    staff: list[StaffEntry] = []
    sessions: list[SessionEntry] = []
    report: ReportSettings = ReportSettings()
    calendar: CalendarSettings = CalendarSettings()
    smtp: SmtpSettings = SmtpSettings()
    decisions: DecisionSettings = DecisionSettings()
    agreement: AgreementSettings = AgreementSettings()
    committee: CommitteeSettings = CommitteeSettings()
    web: WebSettings = WebSettings()
    filing: FilingSettings | None = None
    webhooks: list[WebhookEntry] = []

    @cached_property
    def department_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.departments)

    @cached_property
    def forfaits(self) -> tuple[Forfait, ...]:
        return tuple(
            Forfait(f.measure, tuple(f.kinds), f.amount_eur, f.population_below)
            for f in self.rules.forfaits
        )

    @cached_property
    def exclusions(self) -> tuple[Exclusion, ...]:
        return tuple(Exclusion(e.code, e.label, tuple(e.keywords)) for e in self.rules.exclusions)

    @cached_property
    def programme_years(self) -> tuple[date, date]:
        year = self.guichet.results_deadline.year
        return (self.guichet.first_day or date(year - 3, 1, 1),
                self.guichet.last_day or date(year + 3, 12, 31))

    def department(self, code: str) -> DepartmentEntry:
        return next(d for d in self.departments if d.code == code)

    def instructor_of(self, code: str) -> StaffEntry | None:
        return next((p for p in self.staff if p.role == "instructor" and p.department == code),
                    None)

    def pool_of(self, measure: str) -> str | None:
        """The separate envelope a measure draws on, or None for the main envelope."""
        return measure if measure in self.guichet.envelopes else None

    def consistency(self, file: str | None) -> None:
        for values, path, said in (
            ([p.email.casefold() for p in self.staff], "staff[{}].email", "{} figure deux fois"),
            ([d.code for d in self.departments], "departments[{}].code", "département {} en double"),
            ([s.date for s in self.sessions], "sessions[{}].date", "session du {} en double"),
        ):
            repeat = _first_repeat(values)
            if repeat is not None:
                raise InvalidInput(said.format(values[repeat]), field=path.format(repeat), file=file)
        codes = self.department_codes
        for index, person in enumerate(self.staff):
            if person.role == "instructor" and person.department not in codes:
                raise InvalidInput(
                    f"un instructeur doit avoir un département du guichet ({', '.join(sorted(codes))})",
                    field=f"staff[{index}].department", file=file,
                )
        template = self.agreement.template
        if template is not None and file is not None and not _is_file(Path(file).parent / template):
            raise InvalidInput(f"gabarit de convention introuvable à côté du fichier ({template})",
                               field="agreement.template", file=file)
        for measure in self.guichet.envelopes:
            if measure not in self.guichet.measures:
                raise InvalidInput(f"mesure {measure} non ouverte au guichet",
                                   field=f"guichet.envelopes.{measure}", file=file)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the system is no file either
        return False


def _first_repeat(values: list[Any]) -> int | None:
    """The index of the first value seen before, or None."""
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            return index
        seen.add(value)
    return None


def read(path: Path) -> tuple[GuichetFile, str]:
    """The validated guichet and its source text (stored, so it is re-read the same way)."""
    from workflow.forms import read_text

    text = read_text(path)
    return parse_text(text, file=str(path)), text


def parse_text(text: str, *, file: str | None = None) -> GuichetFile:
    from workflow.validation import parse

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"TOML invalide : {exc}", file=file) from None
    config = parse(GuichetFile, data, file=file)
    config.consistency(file)
    return config


@lru_cache(maxsize=1024)  # a national base carries a guichet per prefecture
def _stored(text: str) -> GuichetFile:
    return parse_text(text)


def from_stored(settings: dict[str, Any]) -> GuichetFile:
    """The stored guichet, parsed once per process and text (every transaction reads it)."""
    return _stored(settings["toml"])
