"""Two guichets' campaigns as the command lines their staff type, step by step, with the clock.

Bretagne (a region's SGAR, four départements) and Cantal (one département's prefecture) run
through the same months: dossiers filed, instructed, decided at a session, agreements signed,
a quarterly report, and the engine's ticks at month ends. Each step is (instant, words, actor);
run alone or interleaved in one base, each guichet must see exactly the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.cli import Cli
from tests.helpers import COORDINATOR, EXAMPLE, INSTRUCTOR, ROOT, form, report, siren

CANTAL = ROOT / "examples" / "cantal-2021.toml"
CANTAL_COORDINATOR = "coordination.pref15@example.org"
CANTAL_INSTRUCTOR = "instructeur.15@example.org"
CANTAL_MEMBER = "membre.ddt15@example.org"

# Ticks at the same instants whoever runs: month ends, and the report reminders of October.
TICKS = ("2021-05-31T18:00", "2021-06-30T18:00", "2021-07-30T18:00", "2021-08-31T18:00",
         "2021-09-30T18:00", "2021-10-13T09:00", "2021-10-29T18:00")
MONTHS = ("2021-05", "2021-06", "2021-07", "2021-08", "2021-09", "2021-10")


@dataclass(frozen=True)
class Step:
    when: str
    words: tuple[str, ...]
    actor: str | None = None


@dataclass(frozen=True)
class Campaign:
    guichet: str
    file: Path
    prefix: str
    steps: tuple[Step, ...]
    sessions: tuple[str, ...]  # the days whose minutes are compared
    references: tuple[str, ...]
    owners: dict[str, str]  # reference -> owner's email


def _write(folder: Path, name: str, document: dict) -> str:
    path = folder / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def bretagne(folder: Path) -> Campaign:
    owners, steps = {}, []
    plan = (("BZH-2021-0001", "22", "3c", 21_000_101), ("BZH-2021-0002", "29", "3c", 21_000_102),
            ("BZH-2021-0003", "35", "3b", 21_000_103))
    for n, (reference, dept, measure, number) in enumerate(plan):
        data = form(applicant={"department": dept, "siren": siren(number)}, measure=measure,
                    title=f"Projet breton {n + 1}")
        owners[reference] = data["contact"]["email"]
        steps += [Step("2021-05-03T10:00", ("dossier", "submit",
                                            _write(folder, f"bzh-{n}.json", data))),
                  Step("2021-05-10T10:00", ("dossier", "start_instruction", reference),
                       INSTRUCTOR[dept]),
                  Step("2021-05-11T10:00", ("dossier", "schedule", reference, "--session",
                                            "2021-06-22"), INSTRUCTOR[dept])]
    a, b, c = (row[0] for row in plan)
    steps += [
        Step("2021-06-14T10:00", ("session", "convene", "2021-06-22"), COORDINATOR),
        Step("2021-06-22T09:00", ("session", "open", "2021-06-22"), COORDINATOR),
        Step("2021-06-22T10:00", ("dossier", "accept", a, "--amount", "30000", "--reason",
                                  "Exemplaire"), COORDINATOR),
        Step("2021-06-22T10:10", ("dossier", "request_revision", b, "--reason",
                                  "Associer les usagers"), COORDINATOR),
        Step("2021-06-22T10:20", ("dossier", "refuse", c, "--reason", "Achat de matériel"),
             COORDINATOR),
        Step("2021-06-22T12:00", ("session", "close", "2021-06-22"), COORDINATOR),
        Step("2021-06-25T10:00", ("dossier", "send_agreement", a), INSTRUCTOR["22"]),
        Step("2021-07-02T10:00", ("dossier", "sign_agreement", a, "--date", "2021-07-01"),
             INSTRUCTOR["22"]),
        Step("2021-07-08T10:00", ("session", "move", "2021-10-19", "2021-10-26"), COORDINATOR),
        Step("2021-10-05T10:00", ("dossier", "submit_report", a, "--file", _write(
            folder, "bzh-report.json", report(period="2021-Q3", percent_done=30))), owners[a]),
    ]
    return Campaign("bretagne-2021", EXAMPLE, "BZH", tuple(steps), ("2021-06-22",),
                    tuple(row[0] for row in plan), owners)


def cantal(folder: Path) -> Campaign:
    owners, steps = {}, []
    plan = (("CAN-2021-0001", "3a", 3500, "9600", 21_500_001),
            ("CAN-2021-0002", "3c", 1200, "20000", 21_500_002))
    for n, (reference, measure, population, requested, number) in enumerate(plan):
        data = form(applicant={"department": "15", "name": f"Commune cantalienne {n + 1}",
                               "kind": "commune", "population": population,
                               "siren": siren(number)},
                    contact={"first_name": "Lucie", "last_name": f"Cantal{n + 1}-Exemple",
                             "email": f"mairie{n + 1}@commune-cantal.example.org"},
                    measure=measure, title=f"Projet cantalien {n + 1}", total_cost_eur="30000",
                    requested_eur=requested)
        owners[reference] = data["contact"]["email"]
        steps += [Step("2021-05-04T10:00", ("dossier", "submit",
                                            _write(folder, f"can-{n}.json", data))),
                  Step("2021-05-12T10:00", ("dossier", "start_instruction", reference),
                       CANTAL_INSTRUCTOR),
                  Step("2021-05-13T10:00", ("dossier", "schedule", reference, "--session",
                                            "2021-07-06"), CANTAL_INSTRUCTOR)]
    x, y = (row[0] for row in plan)
    steps += [
        Step("2021-06-20T10:00", ("session", "convene", "2021-07-06"), CANTAL_COORDINATOR),
        Step("2021-07-06T14:00", ("session", "open", "2021-07-06"), CANTAL_COORDINATOR),
        Step("2021-07-06T14:30", ("dossier", "accept", x, "--amount", "8000", "--reason",
                                  "Conforme au forfait"), CANTAL_COORDINATOR),
        Step("2021-07-06T14:40", ("dossier", "refuse", y, "--reason", "Hors champ"),
             CANTAL_COORDINATOR),
        Step("2021-07-06T16:00", ("session", "close", "2021-07-06"), CANTAL_COORDINATOR),
        Step("2021-07-08T11:00", ("dossier", "send_agreement", x), CANTAL_INSTRUCTOR),
        Step("2021-07-12T10:00", ("dossier", "sign_agreement", x, "--date", "2021-07-10"),
             CANTAL_INSTRUCTOR),
        Step("2021-10-06T10:00", ("dossier", "submit_report", x, "--file", _write(
            folder, "can-report.json", report(period="2021-Q3", percent_done=50))), owners[x]),
    ]
    return Campaign("cantal-2021", CANTAL, "CAN", tuple(steps), ("2021-07-06",),
                    tuple(row[0] for row in plan), owners)


def load(cli: Cli, *campaigns: Campaign) -> None:
    for campaign in campaigns:
        cli.ok("init", str(campaign.file), now="2021-05-01T09:00")


def run(cli: Cli, *campaigns: Campaign) -> None:
    """Every step of the campaigns in the order of their clocks, and the ticks between them.

    A step names no guichet: its reference, or its one guichet's actors, must be enough; a
    command that needs its guichet (submit, session, ...) is given ``--guichet``."""
    steps = [(step.when, 1, step, campaign) for campaign in campaigns for step in campaign.steps]
    steps += [(when, 0, None, None) for when in TICKS]
    for when, _, step, campaign in sorted(steps, key=lambda s: (s[0], s[1],
                                                                 s[3].guichet if s[3] else "")):
        if step is None:
            cli.ok("tick", now=when)
            continue
        assert campaign is not None
        named = () if step.words[0] == "dossier" and step.words[1] not in ("submit",) else (
            "--guichet", campaign.guichet)
        cli.ok(*step.words, *named, now=when, actor=step.actor)


def unset_environment(monkeypatch) -> None:
    """No COMITE_* variable of the machine running the tests reaches the command line."""
    for name in ("COMITE_ACTOR", "COMITE_NOW", "COMITE_DATABASE_URL", "COMITE_GUICHET"):
        monkeypatch.delenv(name, raising=False)


def replayed(cli: Cli, folder: Path) -> tuple[Campaign, Campaign]:
    """Bretagne and Cantal loaded in ``cli``'s base and their campaigns run interleaved."""
    both = (bretagne(folder), cantal(folder))
    load(cli, *both)
    run(cli, *both)
    return both


JUNE = "2021-06-22"


def june_agenda(cli: Cli, folder: Path) -> list[str]:
    """Bretagne alone, five dossiers instructed and on the agenda of its June 2021 session (still
    planned); the fifth has the first one's applicant. Returns their references."""
    cli.ok("init", str(EXAMPLE), now="2021-05-01T09:00")
    plan = (("22", "3c", 21_000_201), ("29", "3c", 21_000_202), ("35", "3b", 21_000_203),
            ("56", "3a", 21_000_204), ("22", "3b", 21_000_201))
    references = []
    for n, (dept, measure, number) in enumerate(plan, start=1):
        data = form(applicant={"department": dept, "siren": siren(number)}, measure=measure,
                    title=f"Projet de juin {n}")
        reference = f"BZH-2021-{n:04d}"
        cli.ok("dossier", "submit", _write(folder, f"juin-{n}.json", data), now="2021-05-03T10:00")
        cli.ok("dossier", "start_instruction", reference, now="2021-05-10T10:00",
               actor=INSTRUCTOR[dept])
        cli.ok("dossier", "schedule", reference, "--session", JUNE, now="2021-05-11T10:00",
               actor=INSTRUCTOR[dept])
        references.append(reference)
    return references
