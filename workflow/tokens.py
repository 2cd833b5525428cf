"""Personal tokens for the HTTP API: made for one member of staff, printed once, kept as their
SHA-256 (a token is 32 random bytes: no slower hash is needed), listed with their last use,
revoked by their person. A token acts with exactly its person's rights, in each guichet where
they hold a role, as if they typed the command themselves."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from workflow import context
from workflow.clock import shown
from workflow.db import by_key
from workflow.errors import InvalidInput, NotFound, PermissionRefused
from workflow.models import ApiToken

PREFIX = "comite_"
LAST_USE_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often
MAX_NAME = 100


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _staff(session: Session, email: str) -> tuple[str, list[Any]]:
    """The address, and the guichets where it holds a role (none: not staff, bad input)."""
    address = context.acting_email(email)
    roles = context.roles_of(session, address)
    if not roles:
        raise InvalidInput(f"{address} n'est membre de l'équipe d'aucun guichet de cette base : "
                           "seule l'équipe a des jetons", field="--actor")
    return address, roles


def create(uow: Any, *, email: str | None, name: str, now: datetime,
           expires_on: date | None = None) -> tuple[ApiToken, str]:
    """A new token for ``email`` (a member of staff), and its secret, shown only now."""
    address, roles = _staff(uow.session, email or "")
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"un nom de 1 à {MAX_NAME} caractères, pour reconnaître le jeton",
                           field="--name")
    tz = roles[0][0].timezone  # the last day ends at midnight in the person's first guichet
    expires_at = None
    if expires_on is not None:
        from zoneinfo import ZoneInfo

        expires_at = datetime.combine(expires_on, time(0), ZoneInfo(tz))
        if expires_at <= now:
            raise InvalidInput(f"la date d'expiration ({expires_on:%d/%m/%Y}) est passée",
                               field="--expires")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(email=address, name=name, digest=digest(secret),
                   shown=secret[:len(PREFIX) + 6], created_at=now, expires_at=expires_at)
    uow.session.add(row)
    uow.session.flush()
    return row, secret


def document(row: ApiToken, tz: str = "Europe/Paris") -> dict[str, Any]:
    return {"id": row.id, "email": row.email, "name": row.name, "starts_with": row.shown,
            "created_at": shown(row.created_at, tz),
            "expires_at": shown(row.expires_at, tz) if row.expires_at else None,
            "last_used_at": shown(row.last_used_at, tz) if row.last_used_at else None,
            "revoked_at": shown(row.revoked_at, tz) if row.revoked_at else None}


def listing(session: Session, email: str | None) -> list[dict[str, Any]]:
    """The tokens of ``email``, newest first, with when each was last used."""
    address, _ = _staff(session, email or "")
    rows = session.exec(select(ApiToken).where(ApiToken.email == address)
                        .order_by(ApiToken.id.desc())).all()  # type: ignore[union-attr]
    return [document(row) for row in rows]


def revoke(uow: Any, *, token_id: int, email: str | None, now: datetime) -> ApiToken:
    """The token stops working at once; only its person revokes it."""
    address = context.acting_email(email)
    row = by_key(uow.session, ApiToken, token_id)
    if row is None:
        raise NotFound(f"aucun jeton n° {token_id}", field="ID")
    if row.email != address:
        raise PermissionRefused(f"le jeton n° {token_id} n'est pas celui de {address} : seule "
                                "la personne du jeton le révoque")
    if row.revoked_at is None:
        row.revoked_at = now
        uow.session.add(row)
    return row


def check(session: Session, presented: str, now: datetime) -> ApiToken | None:
    """The token ``presented`` is, if it is in force (not unknown, revoked nor expired)."""
    if not presented.startswith(PREFIX):
        return None
    row = session.exec(select(ApiToken).where(ApiToken.digest == digest(presented))).first()
    if row is None or row.revoked_at is not None or (
            row.expires_at is not None and row.expires_at <= now):
        return None
    return row


def stale_use(row: ApiToken, now: datetime) -> bool:
    """Whether the token's last use is worth writing again (at most once a minute)."""
    return row.last_used_at is None or now - row.last_used_at >= LAST_USE_EVERY


def touch(uow: Any, token_id: int, now: datetime) -> None:
    row = uow.session.get(ApiToken, token_id)
    if row is not None:
        row.last_used_at = now
        uow.session.add(row)
