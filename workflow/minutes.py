"""The content of a session's minutes, assembled from the agenda and the audit trail, and frozen
(with a SHA-256 of its canonical JSON) in the transaction that closes the session."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from states.money import eur_json
from workflow.clock import shown
from workflow.context import Loaded
from workflow.context import agenda as agenda_of
from workflow.models import AgendaItem, Audit, CommitteeSession, Staff
from workflow.records import Minutes

DECISIONS = ("accept", "request_revision", "refuse", "defer", "withdraw")


def seal(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _decision_audit(session: Session, item: AgendaItem) -> Audit | None:
    if item.decision is None:
        return None
    return session.exec(select(Audit).where(
        Audit.dossier_id == item.dossier_id, Audit.event == item.decision,
        Audit.at == item.decided_at).order_by(col(Audit.id).desc())).first()


def content(session: Session, loaded: Loaded, committee: CommitteeSession) -> dict[str, Any]:
    members = session.exec(select(Staff).where(
        Staff.guichet_id == loaded.id, Staff.active,
        col(Staff.role).in_(["coordinator", "member"])).order_by(col(Staff.role), col(Staff.name)))
    rows = agenda_of(session, committee)
    agenda: list[dict[str, Any]] = []
    by_decision: dict[str, dict[str, int]] = {}
    by_department: dict[str, dict[str, int]] = {}
    for item, dossier in rows:
        audit = _decision_audit(session, item)
        awarded = dossier.awarded_cents if item.decision == "accept" else None
        agenda.append({
            "position": item.position, "reference": dossier.reference, "title": dossier.title,
            "applicant": dossier.applicant_name, "department": dossier.department,
            "measure": dossier.measure, "requested_eur": eur_json(dossier.requested_cents),
            "decision": item.decision, "awarded_eur": eur_json(awarded),
            "motivation": audit.reason if audit else None,
            "deferred_to": (audit.data or {}).get("session") if item.decision == "defer"
            and audit else None,
        })
        bucket = by_decision.setdefault(item.decision or "undecided", {"count": 0, "cents": 0})
        bucket["count"] += 1
        bucket["cents"] += awarded or 0
        department = by_department.setdefault(dossier.department, {"count": 0, "cents": 0})
        department["count"] += 1
        department["cents"] += awarded or 0
    return {
        "guichet": loaded.row.name,
        "date": committee.day.isoformat(),
        "moved_from": committee.moved_from.isoformat() if committee.moved_from else None,
        "state": committee.state,
        "members": [{"name": m.name, "role": m.role} for m in members],
        "agenda": agenda,
        "totals_by_decision": {k: {"count": v["count"], "awarded_eur": eur_json(v["cents"])}
                               for k, v in sorted(by_decision.items())},
        "totals_by_department": {k: {"count": v["count"], "awarded_eur": eur_json(v["cents"])}
                                 for k, v in sorted(by_department.items())},
    }


def freeze(session: Session, loaded: Loaded, committee: CommitteeSession,
           now: datetime) -> Minutes:
    frozen = content(session, loaded, committee)
    frozen["closed_at"] = shown(now, loaded.tz)
    assert committee.id is not None
    minutes = Minutes(session_id=committee.id, content=frozen, sha256=seal(frozen), frozen_at=now)
    session.add(minutes)
    return minutes
