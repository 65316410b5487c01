"""An OpenID Connect provider for the tests: its discovery document and JWKS over real HTTP, keys
made here (RSA and EC, with ``cryptography``) and tokens signed with PyJWT. The tests change which
keys it publishes (rotation) and whether it answers at all, and read how often it was asked."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

AUDIENCE = "govshare-api"
ME = "{ me { department { code } user roles } }"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self, *, with_alg: bool = True) -> dict[str, Any]:
        """The public key as the provider publishes it (some providers leave "alg" out)."""
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            found = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            found = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**found, "kid": self.kid, "use": "sig", **({"alg": self.alg} if with_alg else {})}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], *, alg: str | None = None, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm=alg or self.alg, headers={"kid": kid or self.kid})


def claims(issuer: str, **changes: Any) -> dict[str, Any]:
    """The claims of a valid token of ``issuer`` for civil/alice, a member; a change to None drops that claim."""
    now = int(time.time())
    base = {"iss": issuer, "aud": AUDIENCE, "sub": "alice", "dept": "civil", "roles": ["member"],
            "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}  # fmt: skip
    return {name: value for name, value in {**base, **changes}.items() if value is not None}


def _segment(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None = None) -> str:
    """A token made by hand: alg none (no signature), or HS256 keyed with ``secret`` (the known
    forgery that uses a provider's public key as the HMAC secret; PyJWT refuses to make it)."""
    head = _segment(json.dumps(header).encode()) + "." + _segment(json.dumps(payload).encode())
    if secret is None:
        return head + "."
    return head + "." + _segment(hmac.new(secret, head.encode(), hashlib.sha256).digest())


@dataclass
class IdentityProvider:
    """What the provider publishes (``keys``), whether it is down, and how often it was asked."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    delay: float = 0.0  # seconds before each answer
    jwks_fetches: int = 0
    discovery_fetches: int = 0

    def publish(self, *keys: SigningKey) -> None:
        self.keys = [key.jwk() for key in keys]  # replaced whole: the server thread reads it

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            self.discovery_fetches += 1
            await asyncio.sleep(self.delay)
            if self.down:
                return Response("unavailable", 503)
            issuer = str(request.base_url).rstrip("/")
            return JSONResponse({"issuer": issuer, "jwks_uri": f"{issuer}/jwks"})

        async def jwks(_request: Request) -> Response:
            self.jwks_fetches += 1
            await asyncio.sleep(self.delay)
            if self.down:
                return Response("unavailable", 503)
            return JSONResponse({"keys": self.keys})

        return Starlette(routes=[Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks)])


@dataclass
class AuthorizationServer:
    """A provider's sign-in for a web client (authorization code with PKCE, RFC 7636): a page where
    a user of ``users`` signs in or declines, and a token endpoint that checks the client, the code,
    the redirect URI and the code verifier before it issues an access token signed with ``key``."""

    key: SigningKey
    client_id: str
    secret: str
    users: dict[str, dict[str, Any]]  # user → its claims (dept, roles)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    exchanged: list[str] = field(default_factory=list)  # the users whose code became a token

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            issuer = str(request.base_url).rstrip("/")
            return JSONResponse({"issuer": issuer, "jwks_uri": f"{issuer}/jwks",
                                 "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token"})  # fmt: skip

        async def jwks(_request: Request) -> Response:
            return JSONResponse({"keys": [self.key.jwk()]})

        async def authorize(request: Request) -> Response:
            asked = dict(request.query_params)
            if request.method == "GET":
                hidden = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in asked.items())
                buttons = "".join(f'<button name="user" value="{u}">以 {u} 登录</button>' for u in self.users)
                return HTMLResponse(f'<!DOCTYPE html><meta charset="utf-8"><title>统一身份认证</title>'
                                    f'<h1>统一身份认证</h1><form method="post">{hidden}{buttons}'
                                    f'<button name="user" value="">拒绝 Decline</button></form>')  # fmt: skip
            form = {k: str(v) for k, v in (await request.form()).items()}
            target = form["redirect_uri"]
            if not form.get("user"):
                return RedirectResponse(
                    f"{target}?{urlencode({'error': 'access_denied', 'state': form['state']})}", 303
                )
            code = uuid.uuid4().hex
            self.codes[code] = form
            return RedirectResponse(f"{target}?{urlencode({'code': code, 'state': form['state']})}", 303)

        async def token(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {basic}":
                return JSONResponse({"error": "invalid_client"}, 401)
            asked = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if (asked is None or asked["redirect_uri"] != form.get("redirect_uri") or asked["client_id"] != self.client_id
                    or asked["code_challenge_method"] != "S256" or asked["code_challenge"] != challenge):  # fmt: skip
                return JSONResponse({"error": "invalid_grant"}, 400)
            user = asked["user"]
            self.exchanged.append(user)
            issuer = str(request.base_url).rstrip("/")
            access = self.key.sign(claims(issuer, sub=user, **self.users[user]))
            return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 600})

        return Starlette(routes=[Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks),
                                 Route("/authorize", authorize, methods=["GET", "POST"]),
                                 Route("/token", token, methods=["POST"])])  # fmt: skip
