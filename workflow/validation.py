"""Pydantic validation with French messages that name the field (``applicant.siren``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from workflow.errors import InvalidInput
from workflow.french import count_fr

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu",
    "string_type": "texte attendu",
    "string_unicode": "texte invalide (caractère qui n'en est pas un)",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "bool_type": "vrai ou faux attendu (true/false)",
    "bool_parsing": "vrai ou faux attendu (true/false)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date attendue sans heure (AAAA-MM-JJ)",
    "list_type": "liste attendue",
    "dict_type": "objet attendu",
    "model_type": "objet attendu",
    "model_attributes_type": "objet attendu",
    "string_too_short": "ne doit pas être vide",
    "too_short": "ne doit pas être vide",
}


def field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


def french(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("literal_error", "enum"):
        return f"valeur inconnue « {error.get('input')} » (valeurs possibles : {ctx.get('expected')})"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        signs = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤",
                 "less_than": "<"}
        bound = next(iter(ctx.values()), "")
        return f"doit être {signs[kind]} {bound}"
    if kind == "string_pattern_mismatch":
        return f"« {error.get('input')} » n'a pas la forme attendue"
    if kind == "string_too_long":
        return f"trop long (au plus {ctx.get('max_length')} caractères)"
    return _MESSAGES.get(kind, f"valeur refusée ({kind})")  # never pydantic's English


def parse(model: type[M], data: Any, *, file: str | None = None, row: int | None = None) -> M:
    """The model, or InvalidInput naming the first wrong field (and how many others)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = (f" (et {count_fr(len(errors) - 1, 'autre erreur', 'autres erreurs')})"
                if len(errors) > 1 else "")
        wrong = InvalidInput(french(first) + more, field=field_path(first["loc"]), file=file,
                             row=row)
        wrong.errors = {}
        for error in errors:
            wrong.errors.setdefault(field_path(error["loc"]), french(error))
        raise wrong from None
