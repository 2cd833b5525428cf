"""French typography, in one place: dates, months, quarters, numbers and amounts through babel,
and the spaces French puts before « ; : ! ? » and inside guillemets.

The email templates use these as Jinja2 filters (notifications.render) and apply ``typography``
to every rendered part; documents rendered for a dossier (the agreement) use the same.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache
from typing import Any

from states.money import eur_fr

NARROW = "\u202f"  # espace fine insécable


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


@lru_cache(maxsize=4096)  # a page or a message shows the same few days again and again
def date_fr(value: date | str, weekday: bool = True) -> str:
    """``mardi 1er février 2022``: the first of a month is « 1er »."""
    from babel.dates import format_date

    day = _day(value)
    pattern = ("EEEE " if weekday else "") + ("'1er'" if day.day == 1 else "d") + " MMMM y"
    return format_date(day, pattern, locale="fr_FR")


def short_date_fr(value: date | str) -> str:
    return date_fr(value, weekday=False)


@lru_cache(maxsize=512)
def month_fr(value: date | str) -> str:
    """``juin 2021`` from ``2021-06`` (or any day of that month)."""
    from babel.dates import format_date

    day = date.fromisoformat(f"{value}-01") if isinstance(value, str) and len(value) == 7 else _day(
        value)
    return format_date(day, "LLLL y", locale="fr_FR")


def period_fr(value: str) -> str:
    """``4e trimestre 2021`` from ``2021-Q4``."""
    year, quarter = value.split("-Q")
    return f"{'1er' if quarter == '1' else quarter + 'e'} trimestre {year}"


def time_fr(moment: time) -> str:
    """``9 h 30``, ``14 h``: a time of day as French writes it."""
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


def number_fr(value: int) -> str:
    """``1 873``: thousands separated by a narrow no-break space."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale="fr_FR").replace("\u00a0", NARROW)


def count_fr(count: int, singular: str, plural: str | None = None) -> str:
    """``1 dossier``, ``0 dossier``, ``3 dossiers``, ``1 200 lauréats``: a count and its words,
    agreed as French agrees them (babel's plural rule: the singular up to 1), never « (s) ».
    ``plural`` is ``singular`` with an s unless given (« dossiers à l'ordre du jour »)."""
    word = singular if _french().plural_form(count) == "one" else (plural or f"{singular}s")
    return f"{number_fr(count)} {word}"


def sentence(text: str) -> str:
    """A message as a sentence starts: its first word with an upper-case letter, the rest as
    written (Jinja's ``capitalize`` would lower « BZH-2021-0001 » and « EPCI »). A message that
    starts with a name (``revise.json : …``, an address) keeps it as it is written."""
    return text[:1].upper() + text[1:] if _FIRST_WORD.match(text) else text


# a word of letters (l'ordre, peut-être) followed by a space, a punctuation mark or nothing
_FIRST_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*(?=[\s,:;!?]|$)")


@lru_cache(maxsize=1)
def _french() -> Any:
    from babel import Locale

    return Locale.parse("fr")


_BEFORE = re.compile(r"[ \u00a0]+([;:!?»])")
_AFTER = re.compile(r"«[ \u00a0]+")


def percent_fr(rate: str) -> str:
    """A rate as the documents give it (``"0.333"``) as French readers write it (``33,3 %``)."""
    from decimal import Decimal

    from babel.numbers import format_percent

    return str(format_percent(Decimal(rate), "#,##0.0 %", locale="fr_FR"))


def typography(text: str) -> str:
    """A narrow no-break space before ; : ! ? » and after «, whatever the template typed."""
    return _AFTER.sub("«" + NARROW, _BEFORE.sub(NARROW + r"\1", text))


FILTERS: dict[str, Any] = {
    "date_fr": date_fr,
    "day_fr": short_date_fr,
    "month_fr": month_fr,
    "period_fr": period_fr,
    "number_fr": number_fr,
    "count_fr": count_fr,
    "sentence": sentence,
    "time_fr": time_fr,
    "eur": eur_fr,
}
