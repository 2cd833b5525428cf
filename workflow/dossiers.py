"""Filing a dossier, and the shared shape of every event service.

Shape of a service: load, build the frozen guard snapshot, fire the event on the shared machine,
write the new state as a compare-and-swap on its version (`UPDATE … WHERE version = ?` and its
row count), add the audit row, queue messages. The caller commits; nothing here does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from states.eligibility import Candidate, forfait_for, normalise, problems
from states.guards import Actor, GuardContext
from states.lifecycle import BY_EVENT, DossierState
from states.machine import fire
from states.money import share_of
from workflow import context, messages
from workflow.clock import shown
from workflow.db import UnitOfWork
from workflow.errors import Conflict, Refused
from workflow.forms import DossierForm, dossier_form, motivation
from workflow.models import Audit, CommitteeSession, Dossier, table
from workflow.records import ReferenceCounter


@dataclass(frozen=True)
class Request:
    """Who fires which event on which dossier, and when."""

    reference: str
    actor: str | None
    now: datetime
    reason: str | None = None
    expected_version: int | None = None


def form_fields(form: DossierForm) -> dict[str, Any]:
    """The dossier columns a form fills."""
    return {
        "measure": form.measure,
        "department": form.applicant.department,
        "applicant_name": form.applicant.name,
        "applicant_kind": form.applicant.kind,
        "population": form.applicant.population,
        "siren": form.applicant.siren,
        "title": form.title,
        "title_key": normalise(form.title),
        "owner_email": form.contact.email.lower(),
        "total_cost_cents": form.total_cost_eur,
        "requested_cents": form.requested_eur,
        "end_date": form.end_date,
        "form": form.model_dump(mode="json"),
    }


def findings(loaded: context.Loaded, dossier: Dossier) -> tuple[str, ...]:
    """Why the dossier is not eligible to the guichet (French reasons), empty when it is."""
    config = loaded.config
    candidate = Candidate(dossier.applicant_kind, dossier.measure, dossier.title,
                          dossier.form.get("presentation", ""), dossier.end_date)
    return problems(candidate, eligible_kinds=tuple(config.guichet.eligible_kinds),
                    measures=tuple(config.guichet.measures),
                    results_deadline=config.guichet.results_deadline,
                    exclusions=config.exclusions)


def forfait(loaded: context.Loaded, dossier: Dossier) -> int | None:
    """The flat amount the guichet grants this applicant for this measure, if any (cents)."""
    return forfait_for(loaded.config.forfaits, dossier.measure, dossier.applicant_kind,
                       dossier.population)


def refused_twin(session: Session, guichet_id: str, fields: dict[str, Any]) -> Dossier | None:
    """A refused dossier of the same applicant, measure and title: it can never be filed again."""
    return session.exec(
        select(Dossier).where(
            Dossier.guichet_id == guichet_id,
            Dossier.siren == fields["siren"],
            Dossier.measure == fields["measure"],
            Dossier.title_key == fields["title_key"],
            Dossier.state == DossierState.refused.value,
        )
    ).first()


def next_reference(session: Session, loaded: context.Loaded, now: datetime) -> str:
    year = loaded.today(now).year
    counter = session.exec(
        select(ReferenceCounter)
        .where(ReferenceCounter.guichet_id == loaded.id, ReferenceCounter.year == year)
        .with_for_update()
    ).first()
    if counter is None:
        counter = ReferenceCounter(guichet_id=loaded.id, year=year, last=0)
    counter.last += 1
    session.add(counter)
    return f"{loaded.row.reference_prefix}-{year}-{counter.last:04d}"


def submit(uow: UnitOfWork, *, data: Any, file: str | None, actor: str | None,
           now: datetime, ds_number: str | None = None) -> Dossier:
    """File a dossier; refuses a project whose twin was refused."""
    loaded = context.guichet(uow.session)
    form = parsed_form(loaded, data, file=file, now=now)
    who = actor.strip().lower() if actor else form.contact.email.lower()
    return file_form(uow, loaded, form, actor=who, filed_at=now, now=now, ds_number=ds_number,
                     data={"requested_eur": form.requested_eur})


def parsed_form(loaded: context.Loaded, data: Any, *, file: str | None,
                now: datetime) -> DossierForm:
    """The application form valid for this guichet (annex 1), or InvalidInput naming the field."""
    return dossier_form(data, file=file, departments=loaded.config.department_codes,
                        years=loaded.config.programme_years, today=loaded.today(now))


def file_form(uow: UnitOfWork, loaded: context.Loaded, form: DossierForm, *, actor: str,
              filed_at: datetime, now: datetime, ds_number: str | None = None,
              data: dict[str, Any] | None = None) -> Dossier:
    """The dossier of a valid form: the refused-project rule, a reference, the audit row filed
    at ``filed_at``, and the receipt to the owner."""
    session = uow.session
    fields = form_fields(form)
    twin = refused_twin(session, loaded.id, fields)
    if twin is not None:
        raise Refused(
            f"dépôt refusé : ce projet ({form.applicant.siren}, mesure {form.measure}, "
            f"« {form.title} ») a été refusé sous la référence {twin.reference} "
            "et ne peut pas être redéposé"
        )
    dossier = Dossier(guichet_id=loaded.id, reference=next_reference(session, loaded, filed_at),
                      submitted_at=filed_at, updated_at=now, ds_number=ds_number, **fields)
    session.add(dossier)
    session.flush()
    audit = record(session, dossier, "submit", None, DossierState.submitted, actor=actor,
                   now=filed_at, data=data)
    messages.to_owner(uow, loaded, dossier, "submitted", key=f"audit:{audit.id}", now=now)
    return dossier


@dataclass(frozen=True)
class Recorded:
    """An audit row just written: its number and its event."""

    id: int
    event: str


# An event's two writes, built once: the audit row, and the dossier's new state as a
# compare-and-swap on its version (the SET clause is the parameters given, besides these two).
_DOSSIERS = table(Dossier)
_AUDIT = insert(table(Audit))
_MOVE = update(_DOSSIERS).where(_DOSSIERS.c.id == bindparam("moved_id"),
                                _DOSSIERS.c.version == bindparam("seen_version"))


def record(session: Session, dossier: Dossier, event: str, source: DossierState | None,
           dest: DossierState, *, actor: str, now: datetime, reason: str | None = None,
           data: dict[str, Any] | None = None) -> Recorded:
    """The audit row of ``event`` on ``dossier``, and its webhooks, in the caller's transaction.

    What the session holds unwritten is written first (a dossier changed by its caller: its
    version checked there)."""
    from workflow import webhooks

    if session.dirty or session.new:
        session.flush()
    written = session.connection().execute(_AUDIT, {
        "guichet_id": dossier.guichet_id, "dossier_id": dossier.id, "session_id": None,
        "action": f"dossier.{event}", "event": event,
        "from_state": source.value if source else None, "to_state": dest.value, "at": now,
        "actor": actor, "reason": reason, "data": data or {},
        "channel": session.info.get("channel")})
    webhooks.queue(session, dossier, event=event, source=source.value if source else None,
                   dest=dest.value, at=now, actor=actor)
    key = written.inserted_primary_key
    assert key is not None
    return Recorded(int(key[0]), event)


def snapshot(session: Session, loaded: context.Loaded, dossier: Dossier, actor: Actor,
             request: Request, **extra: Any) -> GuardContext:
    """What the guards of an event on ``dossier`` see; ``extra`` adds what the event computed."""
    current = None
    if dossier.session_id is not None:
        current = context.view(loaded, session.get(CommitteeSession, dossier.session_id))
    return GuardContext(
        actor=actor, today=loaded.today(request.now),
        department=dossier.department, measure=dossier.measure,
        requested=dossier.requested_cents, total_cost=dossier.total_cost_cents,
        reason=request.reason,
        max_share=share_of(dossier.total_cost_cents, loaded.config.guichet.funding_cap),
        current_session=current, **extra,
    )


@dataclass
class Step:
    """One event under way: what was loaded and the snapshot the guards saw."""

    uow: UnitOfWork
    loaded: context.Loaded
    dossier: Dossier
    actor: Actor
    request: Request

    @property
    def session(self) -> Session:
        return self.uow.session

    def snapshot(self, **extra: Any) -> GuardContext:
        return snapshot(self.session, self.loaded, self.dossier, self.actor, self.request,
                        **extra)

    def apply(self, event: str, ctx: GuardContext, *, data: dict[str, Any] | None = None,
              **changes: Any) -> Recorded:
        """Fire, write state and changes with a compare-and-swap, record the audit row."""
        dossier = self.dossier
        source = DossierState(dossier.state)
        dest = fire(source, event, ctx)
        # a self-transition still writes, and bumps the version
        moved = {**changes, "state": dest.value, "updated_at": self.request.now,
                 "version": dossier.version + 1}
        written = self.session.connection().execute(
            _MOVE, {**moved, "moved_id": dossier.id, "seen_version": dossier.version})
        if written.rowcount != 1:  # someone else's event came first
            raise conflict(dossier.reference, None)
        for name, value in moved.items():  # what the row holds now, as the session knows it
            set_committed_value(dossier, name, value)
        return record(self.session, dossier, event, source, dest, actor=self.actor.email,
                      now=self.request.now, reason=self.request.reason, data=data)

    def tell_owner(self, audit: Recorded, **extra: Any) -> None:
        rule = BY_EVENT[audit.event]
        if rule.template is None:
            return
        held = None
        if rule.notify == "at_close" and self.dossier.session_id is not None:
            held = self.session.get(CommitteeSession, self.dossier.session_id)
        messages.to_owner(self.uow, self.loaded, self.dossier, rule.template,
                          key=f"audit:{audit.id}", now=self.request.now, held_for=held,
                          reason=self.request.reason, **extra)


def conflict(reference: str, seen: int | None, current: int | None = None) -> Conflict:
    detail = f" (version {current}, vous attendiez la {seen})" if seen is not None else ""
    refused = Conflict(
        f"conflit : le dossier {reference} a été modifié par quelqu'un d'autre pendant "
        f"votre action{detail} ; relire le dossier (comite dossier show {reference}) et recommencer"
    )
    refused.current = current
    return refused


def begin(uow: UnitOfWork, request: Request, *, lock_guichet: bool = False) -> Step:
    motivation(request.reason)
    loaded, dossier, who = context.for_event(uow.session, request.reference, request.actor,
                                             lock_guichet=lock_guichet)
    seen = request.expected_version
    if seen is not None and dossier.version != seen:
        raise conflict(dossier.reference, seen, dossier.version)
    if request.now < dossier.updated_at:
        # A replay whose clock runs backwards would write a history out of order.
        raise Refused(
            f"l'horloge du moteur ({shown(request.now, loaded.tz)}) est antérieure au dernier "
            f"événement du dossier {dossier.reference} ({shown(dossier.updated_at, loaded.tz)}) : "
            "rejouer les événements dans l'ordre (--now)")
    return Step(uow, loaded, dossier, who, request)
