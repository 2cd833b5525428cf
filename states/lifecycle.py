"""The lifecycle table: every fact about an event in one row.

The transitions configuration, the Mermaid diagram, the command line's event list, "allowed now"
in error messages, the audit codes and which message goes out when are all derived from RULES.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from states import guards as g


class DossierState(StrEnum):
    submitted = "submitted"
    instruction = "instruction"
    committee = "committee"
    accepted = "accepted"
    to_be_revised = "to_be_revised"
    refused = "refused"
    agreement = "agreement"
    follow_up = "follow_up"
    completed = "completed"
    withdrawn = "withdrawn"


TERMINAL = frozenset({DossierState.refused, DossierState.completed, DossierState.withdrawn})
INITIAL = DossierState.submitted

# States whose award counts against the envelope.
COMMITTED = frozenset(
    {DossierState.accepted, DossierState.agreement, DossierState.follow_up, DossierState.completed}
)

STATE_LABELS: dict[str, str] = {
    DossierState.submitted: "déposé",
    DossierState.instruction: "en instruction",
    DossierState.committee: "inscrit en comité",
    DossierState.accepted: "accepté",
    DossierState.to_be_revised: "à revoir",
    DossierState.refused: "refusé",
    DossierState.agreement: "convention à signer",
    DossierState.follow_up: "en suivi",
    DossierState.completed: "achevé",
    DossierState.withdrawn: "retiré",
}


class Notify(StrEnum):
    """When the owner hears of an event."""

    never = "never"
    now = "now"  # queued in the same transaction
    at_close = "at_close"  # queued now, held until the session is closed


@dataclass(frozen=True)
class Rule:
    event: str
    sources: tuple[DossierState, ...]
    dest: DossierState
    guards: tuple[g.Guard, ...]
    label: str
    notify: Notify = Notify.now
    template: str | None = None
    decision: bool = False  # a committee decision, closing its agenda item
    needs: tuple[str, ...] = ()  # what the event must be given (amount, reason, session, date, file)
    when: str = ""  # when it is allowed, in words (the command's help)

    @property
    def audit(self) -> str:
        return f"dossier.{self.event}"


S = DossierState
NON_TERMINAL = tuple(s for s in DossierState if s not in TERMINAL)

RULES: tuple[Rule, ...] = (
    Rule("start_instruction", (S.submitted,), S.instruction, (g.may_instruct,),
         "commencer l'instruction", template="instruction_started",
         when="dossier déposé ; par un instructeur du département ou un coordinateur"),
    Rule("schedule", (S.instruction,), S.committee,
         (g.may_instruct, g.eligibility_assessed, g.agenda_open),
         "inscrire en comité", template="scheduled", needs=("session",),
         when="dossier en instruction et éligible, session prévue dont l'ordre du jour est ouvert"),
    Rule("defer", (S.committee,), S.committee, (g.is_coordinator, g.later_open_session),
         "reporter à une session ultérieure", template="deferred", needs=("session",),
         when="dossier inscrit en comité ; par un coordinateur, vers une session prévue plus tardive"),
    Rule("accept", (S.committee,), S.accepted,
         (g.is_coordinator, g.session_in_progress, g.motivation_given, g.amount_valid,
          g.envelope_has_room, g.one_individual_award),
         "accorder le financement", notify=Notify.at_close, template="decision_accepted",
         decision=True, needs=("amount", "reason"),
         when="en séance (session ouverte) ; par un coordinateur, dans la limite de l'enveloppe"),
    Rule("request_revision", (S.committee,), S.to_be_revised,
         (g.is_coordinator, g.session_in_progress, g.motivation_given),
         "renvoyer à revoir", notify=Notify.at_close, template="decision_revision",
         decision=True, needs=("reason",), when="en séance (session ouverte) ; par un coordinateur"),
    Rule("refuse", (S.committee,), S.refused,
         (g.is_coordinator, g.session_in_progress, g.motivation_given),
         "refuser", notify=Notify.at_close, template="decision_refused", decision=True,
         needs=("reason",), when="en séance (session ouverte) ; par un coordinateur"),
    Rule("resubmit", (S.to_be_revised,), S.submitted, (g.owner_or_instructor, g.updated_form_valid),
         "redéposer le dossier révisé", template="resubmitted", needs=("file",),
         when="dossier à revoir ; par son porteur ou l'instruction, avec le formulaire révisé"),
    Rule("send_agreement", (S.accepted,), S.agreement, (g.may_instruct,),
         "envoyer la convention", template="agreement_sent",
         when="dossier accepté ; par un instructeur du département ou un coordinateur"),
    Rule("sign_agreement", (S.agreement,), S.follow_up, (g.may_instruct, g.signature_dated),
         "enregistrer la signature de la convention", template="agreement_signed",
         needs=("date",), when="convention envoyée ; la date de signature n'est pas à venir"),
    Rule("submit_report", (S.follow_up,), S.follow_up,
         (g.owner_or_instructor, g.report_for_due_period),
         "déposer un rapport trimestriel", template="report_received", needs=("file",),
         when="projet en suivi, pour un trimestre échu ; par son porteur ou l'instruction"),
    Rule("complete", (S.follow_up,), S.completed, (g.may_instruct, g.final_report_received),
         "clore le projet", template="completed",
         when="projet en suivi dont le rapport final (100 %) est reçu"),
    Rule("withdraw", NON_TERMINAL, S.withdrawn, (g.owner_or_instructor, g.reason_given),
         "retirer le dossier", template="withdrawn", needs=("reason",),
         when="à tout moment avant la fin ; par son porteur ou l'instruction, avec un motif"),
)

BY_EVENT: dict[str, Rule] = {rule.event: rule for rule in RULES}

# What each event was, as a dossier's history says it (a rule's label says what to do): the
# owner's page shows these; the staff's pages also show their own actions (`STAFF_HAPPENED`).
HAPPENED: dict[str, str] = {
    "submit": "dossier déposé", "start_instruction": "instruction commencée",
    "schedule": "inscrit à une session du comité", "defer": "reporté à une session ultérieure",
    "accept": "financement accordé", "request_revision": "renvoyé à revoir",
    "refuse": "non retenu", "resubmit": "dossier révisé redéposé",
    "send_agreement": "convention envoyée", "sign_agreement": "convention signée",
    "submit_report": "rapport trimestriel reçu", "complete": "projet achevé",
    "withdraw": "dossier retiré",
}
STAFF_HAPPENED: dict[str, str] = {**HAPPENED, "revoke_links": "liens du porteur révoqués"}
EVENTS: tuple[str, ...] = tuple(BY_EVENT)


def allowed_events(state: DossierState) -> list[str]:
    """The events whose source includes ``state``, in table order."""
    return [rule.event for rule in RULES if state in rule.sources]
