"""A sample context for every template: what `comite notifications preview` and the tests render."""

from __future__ import annotations

from datetime import date
from typing import Any

_DOSSIER: dict[str, Any] = {
    "guichet": "Transformation numérique des collectivités - Bretagne 2021-2022",
    "reference": "BZH-2021-0007",
    "title": "Portail citoyen et prise de rendez-vous",
    "applicant": "Ville de Kerbras-Test",
    "owner_name": "Yann Morvan-Exemple",
    "measure": "3c",
    "state": "inscrit en comité",
    "revision": 1,
    "requested_cents": 3_600_000,
    "reason": "Projet exemplaire, méthode participative solide.",
}
_STAFF: dict[str, Any] = {"guichet": _DOSSIER["guichet"], "name": "Claire Dupont-Exemple"}
_SESSION = {"session_day": date(2021, 10, 19), "old_day": date(2021, 11, 4)}
_REPORT = {"period": "2021-Q4", "due_on": date(2022, 1, 15)}


def _dossier(**extra: Any) -> dict[str, Any]:
    return {**_DOSSIER, **extra}


def _staff(**extra: Any) -> dict[str, Any]:
    return {**_STAFF, **extra}


SAMPLES: dict[str, dict[str, Any]] = {
    "submitted": _dossier(),
    "instruction_started": _dossier(),
    "scheduled": _dossier(session_day=_SESSION["session_day"]),
    "deferred": _dossier(session_day=_SESSION["session_day"]),
    "decision_accepted": _dossier(awarded_cents=3_000_000),
    "decision_revision": _dossier(),
    "decision_refused": _dossier(),
    "resubmitted": _dossier(revision=2),
    "agreement_sent": _dossier(awarded_cents=3_000_000),
    "agreement_signed": _dossier(periods=["2021-Q3", "2021-Q4", "2022-Q1"]),
    "report_received": _dossier(period="2021-Q4", percent_done=60),
    "completed": _dossier(),
    "withdrawn": _dossier(),
    "session_moved": _dossier(**_SESSION),
    "report_due": _dossier(**_REPORT),
    "report_overdue": _dossier(**_REPORT),
    "end_date_warning": _dossier(end_date=date(2023, 3, 31), results_deadline=date(2022, 12, 31)),
    "report_escalation": _staff(**_dossier(**_REPORT, days_late=30), name="Préfecture du 29"),
    "session_convened": _staff(agenda=["BZH-2021-0007", "BZH-2021-0008"],
                               session_day=_SESSION["session_day"]),
    "session_moved_member": _staff(**_SESSION),
    "agenda_closing": _staff(session_day=_SESSION["session_day"], closes_on=date(2021, 10, 12),
                             agenda_size=4),
    "session_not_convened": _staff(session_day=_SESSION["session_day"]),
    "monthly_list": _staff(month="2021-10", count=12),
}
