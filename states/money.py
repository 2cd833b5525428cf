"""Exact money: amounts are integer cents, parsed from what people type and shown in French."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[ \u00a0\u202f]")  # the thousands separators people type, nothing else
# More than any guichet's envelope, and far inside a 64-bit column of cents.
MAX_CENTS = 10**14


class AmountError(ValueError):
    """An amount that cannot be read as euros."""


def parse_eur(value: str | int | Decimal) -> int:
    """Read euros as typed (``5000``, ``5000.00``, ``5 000``, ``5000,50``) into cents."""
    if isinstance(value, bool):
        raise AmountError("un montant est attendu, pas un booléen")
    if isinstance(value, int):
        return _bounded(value * 100, value)
    if isinstance(value, float):
        raise AmountError("montant à virgule flottante refusé : écrire le montant en texte")
    text = _SPACES.sub("", str(value)).replace(",", ".")
    if text.endswith("€"):
        text = text[:-1]
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?", text):  # ASCII digits only
        raise AmountError(f"« {value} » n'est pas un montant en euros (ex. 5000, 5 000 ou 5000,50)")
    try:
        cents = Decimal(text) * 100
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already rules it out
        raise AmountError(f"« {value} » n'est pas un montant") from exc
    return _bounded(int(cents), value)


def _bounded(cents: int, value: object) -> int:
    if abs(cents) > MAX_CENTS:
        raise AmountError(f"« {value} » € : montant hors de toute mesure (au plus {MAX_CENTS // 100:,} €)"
                          .replace(",", "\u202f"))
    return cents


def eur_json(cents: int | None) -> str | None:
    """Euros with two decimals for JSON: ``"5000.00"``."""
    if cents is None:
        return None
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def eur_fr(cents: int) -> str:
    """Euros for people: ``5 000,00 €`` (narrow no-break space between thousands)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{part:02d} €"


def share_of(cents: int, share: Decimal) -> int:
    """``share`` of an amount, rounded down to the cent (a cap is never exceeded by rounding)."""
    return int((Decimal(cents) * share).to_integral_value(rounding="ROUND_FLOOR"))
