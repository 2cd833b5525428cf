"""Which message goes to whom after a change: built here, rendered and stored at commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from states.lifecycle import STATE_LABELS, DossierState
from workflow.context import Loaded
from workflow.db import PendingMessage, UnitOfWork
from workflow.models import CommitteeSession, Dossier


def owner_contact(loaded: Loaded, department: str) -> dict[str, Any]:
    """Whom the owner of a dossier of ``department`` writes to: its instructor and prefecture."""
    office = loaded.config.department(department).prefecture_contact
    instructor = loaded.config.instructor_of(department)
    return {"office": office.name, "address": office.address, "email": office.email,
            "instructor": instructor.name if instructor else None,
            "instructor_email": instructor.email if instructor else None}


def dossier_context(loaded: Loaded, dossier: Dossier, **extra: Any) -> dict[str, Any]:
    contact = dossier.form.get("contact", {})
    context: dict[str, Any] = {
        "guichet": loaded.row.name,
        "reference": dossier.reference,
        "title": dossier.title,
        "applicant": dossier.applicant_name,
        "owner_name": f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip(),
        "measure": dossier.measure,
        "state": STATE_LABELS[DossierState(dossier.state)],
        "revision": dossier.revision,
        "requested_cents": dossier.requested_cents,
        "contact": owner_contact(loaded, dossier.department),
    }
    context.update(extra)
    return context


def appeal(loaded: Loaded) -> str:
    """The « voies et délais de recours » of the guichet's decisions."""
    return loaded.config.decisions.appeal_text()


def agreement_document(loaded: Loaded, context: dict[str, Any]) -> tuple[str, str] | None:
    """The agreement to sign, rendered from the guichet's own template (HTML), if it has one."""
    from pathlib import Path

    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from jinja2 import TemplateError as _TemplateError

    from workflow.errors import InvalidInput
    from workflow.french import FILTERS, typography

    name = loaded.config.agreement.template
    if name is None:
        return None
    folder = Path(loaded.row.settings.get("folder") or ".")
    env = Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined)
    env.filters.update(FILTERS)
    try:
        html = env.get_template(name).render(context)
    except _TemplateError as error:
        raise InvalidInput(f"gabarit de convention illisible ({error})",
                           field="agreement.template") from None
    return f"convention-{context['reference']}.html", typography(html)


def to_owner(uow: UnitOfWork, loaded: Loaded, dossier: Dossier, template: str, *, key: str,
             now: datetime, held_for: CommitteeSession | None = None,
             attachment: tuple[str, str] | None = None, **extra: Any) -> None:
    """A message to the dossier's owner; it carries a fresh link to the dossier's page."""
    from workflow.links import link

    uow.queue(
        PendingMessage(
            template=template,
            context=dossier_context(loaded, dossier, **link(uow.session, loaded, dossier, now),
                                    **extra),
            recipient=dossier.owner_email,
            dedup_key=f"{key}:{dossier.owner_email}",
            reference=dossier.reference,
            created_at=now,
            held_session_id=held_for.id if held_for is not None else None,
            attachment=attachment,
            mail_domain=loaded.config.guichet.mail_domain,
            templates=loaded.templates,
            guichet=loaded.id,
        )
    )


def to_person(uow: UnitOfWork, loaded: Loaded, email: str, template: str, *, key: str,
              now: datetime, ics: str | None = None,
              attachment: tuple[str, str] | None = None, **context: Any) -> None:
    """A message to a member of staff or a contact; ``reference`` in the context files it."""
    uow.queue(
        PendingMessage(
            template=template,
            context={"guichet": loaded.row.name, **context},
            recipient=email,
            dedup_key=f"{key}:{email}",
            reference=context.get("reference"),
            created_at=now,
            ics=ics,
            attachment=attachment,
            mail_domain=loaded.config.guichet.mail_domain,
            templates=loaded.templates,
            guichet=loaded.id,
        )
    )

