"""What the committee weighs: spread of laureates and money, decision rates, envelopes left."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlmodel import Session, col, select

from states.lifecycle import COMMITTED
from states.money import eur_fr, eur_json, parse_eur
from workflow import context, views
from workflow.models import Audit, Dossier

BANDS = ((2_000, "moins de 2 000"), (5_000, "2 000 à 4 999"), (20_000, "5 000 à 19 999"),
         (50_000, "20 000 à 49 999"))


def band(population: int | None) -> str:
    if population is None:
        return "inconnue"
    return next((label for bound, label in BANDS if population < bound), "50 000 et plus")


def said(axis: str, key: str) -> str:
    """A value of an axis as people read it: an authority kind in French (« EPCI », « autre »);
    a département, a population band, a measure or a guichet as it is."""
    from workflow.forms import KIND_LABELS

    return KIND_LABELS.get(key, key) if axis == "by_kind" else key


def _envelopes(budgets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Several guichets' envelopes added up, each guichet's own kept beside the sums."""
    def total(key: str, of: list[dict[str, Any]]) -> str | None:
        return eur_json(sum(parse_eur(item[key]) for item in of))

    separate: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for budget in budgets.values():
        for measure, pool in budget["separate_envelopes"].items():
            separate[measure].append(pool)
    every = list(budgets.values())
    return {key: total(key, every) for key in ("envelope_eur", "committed_eur", "remaining_eur")
            } | {"separate_envelopes": {m: {key: total(key, pools) for key in (
                     "envelope_eur", "committed_eur", "remaining_eur")}
                     for m, pools in sorted(separate.items())},
                 "by_guichet": budgets}


def compute(session: Session, *, all_guichets: bool = False) -> dict[str, Any]:
    """The figures of the unit of work's guichet, or of every guichet of the base added up
    (with a ``by_guichet`` axis) for the directorate."""
    guichets = context.all_guichets(session) if all_guichets else [context.guichet(session)]
    ids = [g.id for g in guichets]
    laureates = list(session.exec(select(Dossier).where(
        col(Dossier.guichet_id).in_(ids), col(Dossier.state).in_([s.value for s in COMMITTED]))))
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for d in laureates:
        axes = [("by_department", d.department), ("by_kind", d.applicant_kind),
                ("by_population", band(d.population)), ("by_measure", d.measure)]
        if all_guichets:
            axes.append(("by_guichet", d.guichet_id))
        for axis, value in axes:
            groups[axis][value].append(d.awarded_cents or 0)
    decisions = Counter(event for event in session.exec(select(Audit.event).where(
        col(Audit.guichet_id).in_(ids),
        col(Audit.event).in_(["accept", "request_revision", "refuse"]))))
    taken = sum(decisions.values())

    def rate(event: str) -> str | None:
        return f"{decisions[event] / taken:.3f}" if taken else None

    return {
        "laureates": len(laureates),
        "awarded_eur": eur_json(sum(d.awarded_cents or 0 for d in laureates)),
        **{axis: {key: {"count": len(amounts), "awarded_eur": eur_json(sum(amounts))}
                  for key, amounts in sorted(values.items())}
           for axis, values in sorted(groups.items())},
        "decisions": {"taken": taken, "accept": decisions["accept"],
                      "request_revision": decisions["request_revision"],
                      "refuse": decisions["refuse"]},
        "acceptance_rate": rate("accept"),
        "revision_rate": rate("request_revision"),
        "refusal_rate": rate("refuse"),
        "envelopes": (_envelopes({g.id: views.budget(session, g) for g in guichets})
                      if all_guichets else views.budget(session, guichets[0])),
    }


def table(document: dict[str, Any]) -> str:
    def money(text: str | None) -> str:
        return eur_fr(parse_eur(text or "0"))

    lines = [f"Lauréats : {document['laureates']} pour {money(document['awarded_eur'])}"]
    titles = {"by_guichet": "Par guichet", "by_department": "Par département",
              "by_kind": "Par type de collectivité",
              "by_population": "Par population", "by_measure": "Par mesure"}
    for axis, title in titles.items():
        if axis not in document:  # by guichet: only over several guichets
            continue
        lines.append(f"{title} :")
        for key, value in document.get(axis, {}).items():
            lines.append(f"  {said(axis, key):<20} {value['count']:>4}  "
                         f"{money(value['awarded_eur']):>16}")
    decisions = document["decisions"]
    lines.append(f"Décisions : {decisions['taken']} (accord {decisions['accept']}, à revoir "
                 f"{decisions['request_revision']}, refus {decisions['refuse']})")
    envelopes = document["envelopes"]
    lines.append(f"Enveloppe : reste {money(envelopes['remaining_eur'])} sur "
                 f"{money(envelopes['envelope_eur'])}")
    for measure, pool in envelopes["separate_envelopes"].items():
        lines.append(f"Enveloppe {measure} : reste {money(pool['remaining_eur'])} sur "
                     f"{money(pool['envelope_eur'])}")
    return "\n".join(lines)
