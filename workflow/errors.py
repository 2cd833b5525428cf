"""One exception hierarchy, mapped to exit codes (and later HTTP statuses) in one place each.

Every message is a French sentence for the person at the keyboard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from states.refusal import EventRefused


class ComiteError(Exception):
    """Base of every error a user may see."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ComiteError):
    """Bad input: a file, a row or a field that is wrong. Nothing was written."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None, file: str | None = None,
                 row: int | None = None) -> None:
        where = [part for part in (file, f"ligne {row}" if row is not None else None, field) if part]
        super().__init__(f"{' : '.join(where)} : {message}" if where else message)
        self.field = field
        self.file = file
        self.row = row
        # every wrong field with its own message (a form shows each on its field)
        self.errors: dict[str, str] = {field: message} if field else {}


class NotFound(InvalidInput):
    """An unknown reference, session date or name: bad input too."""


class Refused(ComiteError):
    """An action refused by a rule; says why and what is allowed now."""

    exit_code = 1


class PermissionRefused(Refused):
    """The actor may not do this."""


class Conflict(Refused):
    """Someone else changed the same thing first; ``current`` is the version now, if known."""

    current: int | None = None


TransitionRefused = EventRefused


def _missing_schema(error: BaseException) -> bool:
    """The database has no comite tables yet (SQLite and PostgreSQL say it differently)."""
    text = str(error)
    return type(error).__name__ in ("OperationalError", "ProgrammingError") and (
        "no such table" in text or "does not exist" in text)


def _read_only(error: BaseException) -> bool:
    return type(error).__name__ == "OperationalError" and "readonly database" in str(error)


def _database_down(error: BaseException) -> bool:
    return (type(error).__name__ == "OperationalError" and not _missing_schema(error)
            and not _read_only(error))


def _not_a_database(error: BaseException) -> bool:
    """A SQLite file that is not a database, or a truncated one."""
    text = str(error)
    return type(error).__name__ == "DatabaseError" and (
        "file is not a database" in text or "malformed" in text)


def exit_code(error: BaseException) -> int:
    if isinstance(error, ComiteError):
        return error.exit_code
    if isinstance(error, EventRefused) or _database_down(error):
        return 1
    if _missing_schema(error) or _not_a_database(error) or _read_only(error):
        return 2
    return 70


def message(error: BaseException) -> str:
    if isinstance(error, ComiteError):
        return error.message
    if isinstance(error, EventRefused):
        return f"refusé ({error.event}) : {error.message}"
    if _missing_schema(error):
        return "--db : base non initialisée : lancer d'abord `comite init GUICHET.toml`"
    if _read_only(error):
        return ("--db : la base est en lecture seule : rien n'a été enregistré (droits du fichier "
                "et de son dossier, ou mode=ro)")
    if _not_a_database(error):
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        return f"--db : ce fichier n'est pas une base comite lisible ({reason})"
    if _database_down(error):
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        return f"base de données indisponible ({reason}) : rien n'a été enregistré, réessayer"
    return f"erreur interne ({type(error).__name__}) : rien n'a été enregistré"


# What only the command line understands in its messages: an option or a command named in
# brackets (« (--reason) », « (--actor EMAIL ou COMITE_ACTOR) », « (comite dossier show …) »).
_OPTION_HINT = re.compile(r" \((?:--([a-z][a-z-]*)|COMITE_|comite )[^)]*\)")


def unhinted(text: str, fields: Mapping[str, str] | None = None) -> str:
    """``text`` without the options and commands only the command line understands; with
    ``fields`` (option → the adapter's own field: ``{"reason": "reason"}``), an option that is
    one of the adapter's fields is named as that field: « (champ « reason ») »."""
    def instead(hint: re.Match[str]) -> str:
        field = (fields or {}).get(hint.group(1) or "")
        return f" (champ « {field} »)" if field else ""

    return _OPTION_HINT.sub(instead, text)


def said(error: BaseException) -> str:
    """What a page says of ``error``, beside the form it is about: a refusal by the rules'
    reasons alone (the page shows what is possible now), bad input in a field by that field's
    own words (the page shows which field), and no option of the command line."""
    reasons = error.reasons if isinstance(error, EventRefused) else []
    if reasons:
        text = " ; ".join(reasons)
    elif isinstance(error, InvalidInput) and error.field and error.file is None:
        text = error.errors.get(error.field, error.message)
    else:
        text = message(error)
    return unhinted(text)
