"""A sample context for every template: what `comite notifications preview` and the tests render."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow.context import Loaded

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
    "contact": {"office": "Préfecture du Finistère (contact fictif)",
                "address": "1 rue de l'Exemple, 29000 Quimper",
                "email": "pref29.relance@example.org", "instructor": "Léa Bernard-Exemple",
                "instructor_email": "instructeur.29@example.org"},
}
_APPEAL = ("Cette décision peut être contestée dans un délai de deux mois à compter de sa "
           "notification, par un recours gracieux adressé au préfet de la région Bretagne ou par "
           "un recours contentieux devant le tribunal administratif de Rennes. Le tribunal "
           "administratif peut être saisi par l'application Télérecours citoyens, sur le site "
           "www.telerecours.fr.")
_AGENDA = [
    {"reference": "BZH-2021-0007", "applicant": "Ville de Kerbras-Test",
     "title": "Portail citoyen et prise de rendez-vous", "measure": "3c",
     "requested_cents": 3_600_000},
    {"reference": "BZH-2021-0008", "applicant": "Communauté de communes du Blavet-Test",
     "title": "Formation des agents au numérique", "measure": "3b", "requested_cents": 1_250_050},
]
_STAFF: dict[str, Any] = {"guichet": _DOSSIER["guichet"], "name": "Claire Dupont-Exemple"}
_SESSION = {"session_day": date(2021, 10, 19), "old_day": date(2021, 11, 4)}
_REPORT = {"period": "2021-Q4", "due_on": date(2022, 1, 17)}  # the 15th is a Saturday


def _dossier(**extra: Any) -> dict[str, Any]:
    return {**_DOSSIER, **extra}


def _staff(**extra: Any) -> dict[str, Any]:
    return {**_STAFF, **extra}


SAMPLES: dict[str, dict[str, Any]] = {
    "submitted": _dossier(),
    "instruction_started": _dossier(),
    "scheduled": _dossier(session_day=_SESSION["session_day"]),
    "deferred": _dossier(session_day=_SESSION["session_day"]),
    "decision_accepted": _dossier(awarded_cents=3_000_000, appeal=_APPEAL),
    "decision_revision": _dossier(appeal=_APPEAL, resubmit_by=date(2021, 9, 1)),
    "decision_refused": _dossier(appeal=_APPEAL),
    "resubmitted": _dossier(revision=2),
    "agreement_sent": _dossier(awarded_cents=3_000_000, agreement_file="convention-BZH-2021-0007.html",
                               return_to="Préfecture du Finistère, 1 rue de l'Exemple, 29000 Quimper"),
    "agreement_signed": _dossier(periods=[
        {"period": "2021-Q3", "due_on": date(2021, 10, 15)},
        {"period": "2021-Q4", "due_on": date(2022, 1, 17)},
        {"period": "2022-Q1", "due_on": date(2022, 4, 15)}]),
    "report_received": _dossier(period="2021-Q4", percent_done=60),
    "completed": _dossier(),
    "withdrawn": _dossier(),
    "owner_link": _dossier(link="https://comite.example.org/lien/exemple",
                           link_until=date(2021, 12, 31)),
    "session_moved": _dossier(**_SESSION),
    "report_due": _dossier(**_REPORT),
    "report_overdue": _dossier(**_REPORT),
    "end_date_warning": _dossier(end_date=date(2023, 3, 31), results_deadline=date(2022, 12, 31)),
    "report_escalation": _staff(**{k: v for k, v in _dossier(**_REPORT, days_late=1873).items()
                                   if k != "contact"}, name="Préfecture du 29"),
    "session_convened": _staff(agenda=_AGENDA, session_day=_SESSION["session_day"],
                               start="9 h 30", end="12 h 30",
                               place="Préfecture de région, salle de l'Exemple, Rennes",
                               visio_url="https://visio.example.org/comite-bzh"),
    "session_moved_member": _staff(**_SESSION),
    "session_cancelled": _staff(session_day=_SESSION["session_day"]),
    "agenda_closing": _staff(session_day=_SESSION["session_day"], closes_on=date(2021, 10, 12),
                             agenda_size=4),
    "session_not_convened": _staff(session_day=date(2022, 2, 1)),
    "monthly_list": _staff(month="2021-10", count=1234),
}


def for_guichet(loaded: Loaded, sample: dict[str, Any]) -> dict[str, Any]:
    """A template's sample context as this guichet would fill it: its name, its references, its
    first département's contact, its appeal, its meeting place."""
    from workflow.messages import appeal, owner_contact

    model = _DOSSIER
    prefix = f"{loaded.row.reference_prefix}-"

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(model["guichet"], loaded.row.name).replace(
                model["reference"][:4], prefix)
        if isinstance(value, dict):
            return {key: swap(item) for key, item in value.items()}
        if isinstance(value, list):
            return [swap(item) for item in value]
        return value

    config = loaded.config
    first = config.departments[0]
    contact = owner_contact(loaded, first.code)
    own = {"contact": contact, "appeal": appeal(loaded),
           "return_to": config.agreement.return_to or contact["address"] or contact["office"],
           "place": config.committee.place, "visio_url": config.committee.visio_url}
    adapted = swap(sample)
    adapted.update({key: value for key, value in own.items() if key in adapted})
    if "name" in adapted and "days_late" in adapted:  # the prefecture alerted of a late report
        adapted["name"] = first.prefecture_contact.name
    return adapted
