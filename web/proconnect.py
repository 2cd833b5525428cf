"""Logging in with ProConnect, the State's OpenID Connect federation, through authlib.

What ProConnect asks of a service, and what authlib would otherwise get wrong:
- ``state`` and ``nonce`` of at least 32 characters (authlib makes 30 and 20): ours are 43;
- an access token that lives 60 s: authlib's client counts a token as expired ``leeway`` seconds
  early (60 by default, so always): ours is a few seconds;
- userinfo answers a signed JWT (``application/jwt``), not JSON: decoded with the provider's
  keys, and its subject must be the ID token's;
- the client secret in the token request's body (``client_secret_post``).
The identity's email is then matched to the guichets' staff, case-insensitive.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from web.app import log_in, page, redirect, unit_of_work

router = APIRouter()
LEEWAY = 5  # seconds: the clocks' drift, well under the access token's 60 s
NAME = "proconnect"


@dataclass(frozen=True)
class ProConnect:
    discovery_url: str  # …/.well-known/openid-configuration
    client_id: str
    client_secret: str
    scope: str = "openid email given_name usual_name"


def configured(environ: Any, guichets: list[Any]) -> ProConnect | None:
    """ProConnect as the environment says (COMITE_PROCONNECT_URL, COMITE_PROCONNECT_CLIENT_ID),
    else as the guichets' files say (``[web]``; they must agree); the secret only from
    COMITE_PROCONNECT_SECRET. None when nothing names it."""
    from workflow.errors import InvalidInput

    url = environ.get("COMITE_PROCONNECT_URL") or None
    client = environ.get("COMITE_PROCONNECT_CLIENT_ID") or None
    if url is None and client is None:
        named = {(g.config.web.proconnect_url, g.config.web.proconnect_client_id)
                 for g in guichets if g.config.web.proconnect_url}
        if len(named) > 1:
            raise InvalidInput("les guichets de la base nomment des ProConnect différents : "
                               "les accorder, ou fixer COMITE_PROCONNECT_URL et "
                               "COMITE_PROCONNECT_CLIENT_ID", field="[web] proconnect_url")
        url, client = named.pop() if named else (None, None)
    if url is None and client is None:
        return None
    if not url or not client:
        raise InvalidInput("ProConnect demande l'adresse de découverte et l'identifiant du client",
                           field="COMITE_PROCONNECT_URL" if not url else
                           "COMITE_PROCONNECT_CLIENT_ID")
    secret = environ.get("COMITE_PROCONNECT_SECRET") or ""
    if not secret:
        raise InvalidInput("le secret du client ProConnect manque (il ne se met que dans "
                           "l'environnement)", field="COMITE_PROCONNECT_SECRET")
    return ProConnect(url, client, secret)


def client(config: ProConnect) -> Any:
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(NAME, client_id=config.client_id, client_secret=config.client_secret,
                   server_metadata_url=config.discovery_url,
                   client_kwargs={"scope": config.scope, "leeway": LEEWAY,
                                  "token_endpoint_auth_method": "client_secret_post"})
    return oauth.create_client(NAME)


def _provider(request: Request) -> Any:
    provider = request.app.state.proconnect
    if provider is None:
        raise HTTPException(404)
    return provider


@router.get("/connexion/proconnect")
async def start(request: Request) -> Response:
    provider = _provider(request)
    answer: Response = await provider.authorize_redirect(
        request, str(request.url_for("proconnect_back")),
        state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32))
    return answer


async def identity(provider: Any, token: dict[str, Any]) -> dict[str, Any]:
    """The person behind ``token``: userinfo, a JWT signed by the provider, for the ID token's
    subject."""
    from joserfc import jwt
    from joserfc.jwk import KeySet
    from joserfc.jws import JWSRegistry

    metadata = await provider.load_server_metadata()
    answer = await provider.get(metadata["userinfo_endpoint"], token=token)
    answer.raise_for_status()
    if not answer.headers.get("content-type", "").startswith("application/jwt"):
        raise ValueError(f"userinfo n'est pas un JWT ({answer.headers.get('content-type')})")
    keys = KeySet.import_key_set(await provider.fetch_jwk_set())
    algorithms = metadata.get("userinfo_signing_alg_values_supported") or ["RS256", "ES256"]
    claims = jwt.decode(answer.text.strip(), keys,
                        registry=JWSRegistry(algorithms=algorithms)).claims
    if claims.get("sub") != token["userinfo"]["sub"]:
        raise ValueError("userinfo ne parle pas de la personne du jeton d'identité")
    return dict(claims)


@router.get("/connexion/retour", name="proconnect_back")
async def back(request: Request) -> Response:
    import logging

    from authlib.integrations.base_client import OAuthError
    from httpx2 import HTTPError

    from workflow import context

    provider = _provider(request)
    try:
        token = await provider.authorize_access_token(request, leeway=LEEWAY)
        person = await identity(provider, token)
    except (OAuthError, HTTPError, ValueError, KeyError) as error:
        logging.getLogger("comite.web").warning("ProConnect : %s", error)
        raise HTTPException(401, "la connexion avec ProConnect n'a pas abouti ; recommencer "
                                 "depuis la page de connexion") from None
    email = str(person.get("email") or "").strip().lower()
    with unit_of_work(request) as uow:
        roles = context.roles_of(uow.session, email) if email else []
    if not roles:
        request.session.clear()
        return page(request, "not_staff.html.j2", 403, email=email or "(sans adresse)")
    log_in(request, email)
    request.session["id_token"] = token.get("id_token")
    return redirect("/")


async def logout(request: Request) -> Response:
    """Out of comite, then out of ProConnect (its end-session endpoint, back to our home)."""
    provider = _provider(request)
    hint = request.session.get("id_token")
    request.session.clear()
    answer: Response = await provider.logout_redirect(
        request, post_logout_redirect_uri=str(request.url_for("home")), id_token_hint=hint)
    return answer
