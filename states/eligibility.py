"""Eligibility and flat amounts: a guichet's rules applied to a dossier, as pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache


@dataclass(frozen=True)
class Exclusion:
    code: str
    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Forfait:
    measure: str
    kinds: tuple[str, ...]
    amount: int  # cents
    population_below: int | None = None

    def applies(self, measure: str, kind: str, population: int | None) -> bool:
        if measure != self.measure or kind not in self.kinds:
            return False
        if self.population_below is None:
            return True
        return population is not None and population < self.population_below


@dataclass(frozen=True)
class Candidate:
    """What eligibility looks at in a dossier."""

    kind: str
    measure: str
    title: str
    presentation: str
    end_date: date


# Cyrillic and Greek letters that look like Latin ones: « pоrtail » with a Cyrillic о is « portail ».
_CONFUSABLES = str.maketrans("аеорсухіјѕԁһӏοαειкνρτυχ", "aeopcyxijsdhloaeikvptux")


@lru_cache(maxsize=1024)  # a dossier's page and its events compare the same texts again
def normalise(text: str) -> str:
    """Lower case, no accents, look-alike letters folded, single spaces: for comparing titles and
    finding keywords (compatibility forms such as full-width letters fold too)."""
    flat = unicodedata.normalize("NFKD", text)
    flat = "".join(c for c in flat if not unicodedata.combining(c)).casefold()
    flat = flat.translate(_CONFUSABLES)
    flat = re.sub(r"[’'`]", "'", flat)
    return re.sub(r"[^a-z0-9']+", " ", flat).strip()


@lru_cache(maxsize=512)
def _keyword(keyword: str) -> re.Pattern[str]:
    """A guichet's exclusion keyword as a whole word of a normalised text, compiled once."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(normalise(keyword))}(?![a-z0-9])")


def _mentions(text: str, keyword: str) -> bool:
    return _keyword(keyword).search(text) is not None


def problems(
    candidate: Candidate,
    *,
    eligible_kinds: tuple[str, ...],
    measures: tuple[str, ...],
    results_deadline: date,
    exclusions: tuple[Exclusion, ...],
) -> tuple[str, ...]:
    """Why a dossier is not eligible (French reasons), empty when it is."""
    found: list[str] = []
    if candidate.kind not in eligible_kinds:
        found.append(f"type de demandeur « {candidate.kind} » non éligible à ce guichet")
    if candidate.measure not in measures:
        found.append(f"mesure {candidate.measure} non ouverte à ce guichet")
    if candidate.end_date > results_deadline:
        found.append(
            f"fin prévue le {candidate.end_date:%d/%m/%Y}, après la date limite des résultats "
            f"({results_deadline:%d/%m/%Y})"
        )
    text = normalise(f"{candidate.title} {candidate.presentation}")
    for exclusion in exclusions:
        hit = next((k for k in exclusion.keywords if _mentions(text, k)), None)
        if hit is not None:
            found.append(f"exclusion « {exclusion.label} » (mention « {hit} »)")
    return tuple(found)


def forfait_for(
    forfaits: tuple[Forfait, ...], measure: str, kind: str, population: int | None
) -> int | None:
    """The first flat amount that applies, in table order, or None."""
    return next((f.amount for f in forfaits if f.applies(measure, kind, population)), None)
