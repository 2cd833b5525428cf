"""Guards: each takes the frozen snapshot of an event and returns a French reason, or None.

The service builds the snapshot (dossier, actor, today, envelope left, sessions) so guards never
query anything, and every reason can be reported at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from states.money import eur_fr

ROLE_LABELS = {
    "coordinator": "coordinateur",
    "instructor": "instructeur",
    "member": "membre du comité",
    "owner": "porteur de projet",
    "system": "système",
}


@dataclass(frozen=True)
class Actor:
    email: str
    role: str  # coordinator, instructor, member, owner
    department: str | None = None


@dataclass(frozen=True)
class SessionView:
    day: date
    state: str  # planned, convened, held, closed
    agenda_closes_on: date


@dataclass(frozen=True)
class GuardContext:
    """Everything a guard may look at; built by the service inside the transaction."""

    actor: Actor
    today: date
    department: str
    measure: str
    requested: int
    total_cost: int
    reason: str | None = None
    amount: int | None = None
    max_share: int = 0  # cost × the guichet's funding cap, in cents
    room: int | None = None  # what is left of the envelope this dossier draws on
    pool: str = "enveloppe du guichet"
    forfait: int | None = None
    other_award: str | None = None  # reference of the applicant's other individual award
    current_session: SessionView | None = None
    target_session: SessionView | None = None
    eligibility: tuple[str, ...] = ()
    signed_on: date | None = None
    decided_on: date | None = None  # the day the committee accepted the dossier
    report_problem: str | None = None
    has_final_report: bool = False
    form_problem: str | None = None


Guard = Callable[[GuardContext], "str | None"]


def _role(actor: Actor) -> str:
    label = ROLE_LABELS.get(actor.role, actor.role)
    if actor.role == "instructor":
        return f"{label} du {actor.department}"
    return label


def may_instruct(ctx: GuardContext) -> str | None:
    actor = ctx.actor
    if actor.role == "coordinator":
        return None
    if actor.role == "instructor" and actor.department == ctx.department:
        return None
    return (
        f"{actor.email} ({_role(actor)}) ne peut pas instruire un dossier du "
        f"département {ctx.department} : seuls ses instructeurs et les coordinateurs le peuvent"
    )


def owner_or_instructor(ctx: GuardContext) -> str | None:
    if ctx.actor.role == "owner":
        return None
    return may_instruct(ctx)


def is_coordinator(ctx: GuardContext) -> str | None:
    if ctx.actor.role == "coordinator":
        return None
    return (
        f"{ctx.actor.email} ({_role(ctx.actor)}) ne peut pas décider : "
        "seuls les coordinateurs conduisent les sessions et décident"
    )


def motivation_given(ctx: GuardContext) -> str | None:
    if ctx.reason and ctx.reason.strip():
        return None
    return "une motivation est obligatoire (--reason)"


def eligibility_assessed(ctx: GuardContext) -> str | None:
    if not ctx.eligibility:
        return None
    return "dossier inéligible : " + " ; ".join(ctx.eligibility)


def agenda_open(ctx: GuardContext) -> str | None:
    session = ctx.target_session
    if session is None:
        return "une session est obligatoire (--session AAAA-MM-JJ)"
    if session.state != "planned":
        return f"l'ordre du jour de la session du {session.day:%d/%m/%Y} est figé (session {session.state})"
    if ctx.today > session.agenda_closes_on:
        return (
            f"l'ordre du jour de la session du {session.day:%d/%m/%Y} est clos "
            f"depuis le {session.agenda_closes_on:%d/%m/%Y}"
        )
    return None


def later_open_session(ctx: GuardContext) -> str | None:
    session, current = ctx.target_session, ctx.current_session
    if session is None:
        return "une session est obligatoire (--session AAAA-MM-JJ)"
    if current is not None and session.day <= current.day:
        return (
            f"la session du {session.day:%d/%m/%Y} n'est pas postérieure à celle du "
            f"{current.day:%d/%m/%Y}"
        )
    if session.state != "planned":
        return f"la session du {session.day:%d/%m/%Y} n'est plus ouverte (session {session.state})"
    return None


def session_in_progress(ctx: GuardContext) -> str | None:
    session = ctx.current_session
    if session is None:
        return "le dossier n'est inscrit à aucune session"
    if session.state != "held":
        return (
            f"la session du {session.day:%d/%m/%Y} n'est pas ouverte (état {session.state}) : "
            "on ne décide qu'en séance"
        )
    return None


def amount_valid(ctx: GuardContext) -> str | None:
    amount = ctx.amount
    if amount is None:
        return "un montant est obligatoire (--amount)"
    if amount <= 0:
        return f"le montant accordé doit être positif ({eur_fr(amount)})"
    if amount > ctx.requested:
        return (
            f"le montant accordé ({eur_fr(amount)}) dépasse le montant demandé "
            f"({eur_fr(ctx.requested)})"
        )
    if amount > ctx.max_share:
        return (
            f"le montant accordé ({eur_fr(amount)}) dépasse le plafond de financement du guichet "
            f"({eur_fr(ctx.max_share)} pour un coût de {eur_fr(ctx.total_cost)})"
        )
    if ctx.forfait is not None and amount > ctx.forfait:
        return (
            f"le montant accordé ({eur_fr(amount)}) dépasse le forfait de la mesure "
            f"{ctx.measure} pour ce demandeur ({eur_fr(ctx.forfait)})"
        )
    return None


def envelope_has_room(ctx: GuardContext) -> str | None:
    if ctx.amount is None or ctx.room is None or ctx.amount <= ctx.room:
        return None
    return (
        f"l'{ctx.pool} n'a plus la place : {eur_fr(ctx.amount)} demandés, "
        f"{eur_fr(max(ctx.room, 0))} restants"
    )


def one_individual_award(ctx: GuardContext) -> str | None:
    if ctx.other_award is None:
        return None
    return (
        f"règle d'un seul projet lauréat par collectivité : le demandeur est déjà lauréat "
        f"à titre individuel du dossier {ctx.other_award}"
    )


def updated_form_valid(ctx: GuardContext) -> str | None:
    return ctx.form_problem


def signature_dated(ctx: GuardContext) -> str | None:
    if ctx.signed_on is None:
        return "la date de signature est obligatoire (--date AAAA-MM-JJ)"
    if ctx.signed_on > ctx.today:
        return f"la date de signature ({ctx.signed_on:%d/%m/%Y}) est dans le futur"
    if ctx.decided_on is not None and ctx.signed_on < ctx.decided_on:
        return (f"la date de signature ({ctx.signed_on:%d/%m/%Y}) précède la décision du comité "
                f"({ctx.decided_on:%d/%m/%Y})")
    return None


def report_for_due_period(ctx: GuardContext) -> str | None:
    return ctx.report_problem


def final_report_received(ctx: GuardContext) -> str | None:
    if ctx.has_final_report:
        return None
    return "le rapport final (avancement 100 %) n'a pas été reçu"


# The guards that say who may act at all; the others are conditions that may hold later.
PERMISSIONS: frozenset[Guard] = frozenset({may_instruct, owner_or_instructor, is_coordinator})


def reason_given(ctx: GuardContext) -> str | None:
    if ctx.reason and ctx.reason.strip():
        return None
    return "le motif du retrait est obligatoire (--reason)"


def territory(actor: Actor) -> str | None:
    """The one département whose dossiers (and their messages, due work, agenda lines) this
    person may read, or None for the whole guichet: the same rule as may_read."""
    return actor.department if actor.role == "instructor" else None


def may_read(actor: Actor, department: str) -> bool:
    """Who may read a dossier of ``department``: the coordinators and the committee's members,
    the instructor of that département (an instructor of 29 has no business in the 22's)."""
    if actor.role in ("coordinator", "member"):
        return True
    return actor.role == "instructor" and actor.department == department


# The guards a page can judge before anything is typed: who acts, whether the session sits, and
# whether the dossier is eligible.
STANDING: frozenset[Guard] = PERMISSIONS | {session_in_progress, eligibility_assessed}
# The guards that judge the session chosen for a dossier: a page offers the sessions they accept.
TARGETS: frozenset[Guard] = frozenset({agenda_open, later_open_session})
