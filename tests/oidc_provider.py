"""A small OpenID provider on 127.0.0.1 that behaves as ProConnect says it does.

It refuses a ``state`` or a ``nonce`` shorter than 32 characters, takes the client secret only in
the token request's body (client_secret_post), issues access tokens that live 60 s, answers
userinfo as a signed JWT (application/jwt), and ends sessions at its end-session endpoint. Its
login page asks for an email, as ProConnect's asks for one.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.smtp_server import free_port

CLIENT_ID, CLIENT_SECRET = "comite-test", "secret-de-test-" + "x" * 20
LOGIN_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>ProConnect de test</title></head><body><main><h1>ProConnect de test</h1>
<form method="post" action="/authorize"><label for="email">Adresse électronique</label>
<input id="email" name="email" type="email">{hidden}<button type="submit">Continuer</button>
</form></main></body></html>"""


@dataclass
class Provider:
    base: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={
        "kid": "cle-1", "use": "sig", "alg": "RS256"}))
    codes: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    ended: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # what it refused, and why

    def settings(self):
        """How the site is told of this provider."""
        from web.proconnect import ProConnect

        return ProConnect(f"{self.base}/.well-known/openid-configuration", CLIENT_ID,
                          CLIENT_SECRET)

    def signed(self, claims: dict) -> str:
        return jwt.encode({"alg": "RS256", "kid": "cle-1"}, claims, self.key)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo),
            Route("/session/end", self.end_session),
        ])

    async def discovery(self, request: Request) -> Response:
        b = self.base
        return JSONResponse({
            "issuer": b, "authorization_endpoint": f"{b}/authorize",
            "token_endpoint": f"{b}/token", "userinfo_endpoint": f"{b}/userinfo",
            "jwks_uri": f"{b}/jwks", "end_session_endpoint": f"{b}/session/end",
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "response_types_supported": ["code"], "scopes_supported": [
                "openid", "email", "given_name", "usual_name"]})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    def _refuse(self, why: str, status: int = 400) -> Response:
        self.refused.append(why)
        return JSONResponse({"error": "invalid_request", "error_description": why}, status)

    async def authorize(self, request: Request) -> Response:
        asked = dict(request.query_params) if request.method == "GET" else dict(
            await request.form())
        for name in ("state", "nonce"):
            if len(asked.get(name, "")) < 32:
                return self._refuse(f"{name} de moins de 32 caractères")
        if asked.get("client_id") != CLIENT_ID:
            return self._refuse("client inconnu")
        if request.method == "GET":
            hidden = "".join(f'<input type="hidden" name="{k}" value="{v}">'
                             for k, v in asked.items() if k != "email")
            return HTMLResponse(LOGIN_PAGE.format(hidden=hidden))
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"email": asked["email"], "nonce": asked["nonce"],
                            "redirect_uri": asked["redirect_uri"]}
        return RedirectResponse(f"{asked['redirect_uri']}?" + urlencode(
            {"code": code, "state": asked["state"]}), 302)

    async def token(self, request: Request) -> Response:
        if "authorization" in request.headers:
            return self._refuse("le secret se transmet dans le corps (client_secret_post)", 401)
        body = dict(await request.form())
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            return self._refuse("client ou secret faux", 401)
        grant = self.codes.pop(body.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != body.get("redirect_uri"):
            return self._refuse("code inconnu ou déjà utilisé")
        now = int(time.time())
        subject = "sub-" + grant["email"].lower()
        access = secrets.token_urlsafe(24)
        self.tokens[access] = {"email": grant["email"], "sub": subject, "expires": now + 60}
        id_token = self.signed({"iss": self.base, "aud": CLIENT_ID, "sub": subject,
                                "nonce": grant["nonce"], "iat": now, "exp": now + 60,
                                "auth_time": now, "acr": "eidas1"})
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 60,
                             "id_token": id_token, "scope": "openid email"})

    async def userinfo(self, request: Request) -> Response:
        scheme, _, access = request.headers.get("authorization", "").partition(" ")
        known = self.tokens.get(access)
        if scheme.lower() != "bearer" or known is None or known["expires"] < time.time():
            return self._refuse("jeton d'accès inconnu ou expiré", 401)
        claims = {"iss": self.base, "aud": CLIENT_ID, "sub": known["sub"],
                  "email": known["email"], "given_name": "Agent", "usual_name": "Exemple"}
        return Response(self.signed(claims), media_type="application/jwt")

    async def end_session(self, request: Request) -> Response:
        asked = dict(request.query_params)
        self.ended.append(asked)
        back = asked.get("post_logout_redirect_uri")
        if not back:
            return HTMLResponse("<p>déconnecté</p>")
        return RedirectResponse(f"{back}?" + urlencode({"state": asked.get("state", "")}), 302)


def running() -> tuple[Provider, callable]:
    """The provider on a free port of 127.0.0.1, and how to stop it."""
    import uvicorn

    provider = Provider()
    port = free_port()
    provider.base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(provider.app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return provider, stop
