"""Tokens of the configured OpenID Connect provider: algorithm, signature by one of its published keys,
issuer, audience, expiry and not-before, and the claims that name the caller (docs/identity.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from jwt.types import Options

from govshare import clock
from govshare.identity import ROLES, TokenError
from govshare.oidc.claims import claim, is_number, moment, unverified
from govshare.oidc.keys import ProviderKeys
from govshare.settings import Settings, check_oidc

# Claims are checked here, with messages that say which and why; PyJWT checks the signature only.
_SIGNATURE_ONLY: Options = {
    "verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
    "verify_iss": False, "verify_sub": False, "verify_jti": False,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ProviderClaims:
    """Who a valid token of the provider names (its department not yet held to the catalog)."""

    department: str
    user: str
    roles: tuple[str, ...]
    expires: float  # seconds since 1970 from which the token is refused: exp plus the leeway
    jti: str | None
    generation: int  # of the keys that checked it (ProviderKeys.generation)


class Provider:
    def __init__(self, settings: Settings) -> None:
        check_oidc(settings)
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.algorithms = settings.oidc_algorithm_list
        self.leeway = settings.oidc_leeway
        self.department_claim = settings.oidc_department_claim
        self.user_claim = settings.oidc_user_claim
        self.roles_claim = settings.oidc_roles_claim
        self.keys = ProviderKeys(
            settings.oidc_issuer,
            settings.oidc_jwks_uri,
            self.algorithms,
            ttl=settings.oidc_keys_ttl,
            refresh_interval=settings.oidc_refresh_interval,
            timeout=settings.oidc_timeout,
        )

    async def prepare(self, token: str) -> None:
        """Have the keys that ``token`` needs at hand, fetching them if need be; never raises.
        Tokens that will be refused anyway (another issuer, an algorithm not allowed) fetch nothing."""
        try:
            header, claims = unverified(token)
        except TokenError:
            return
        if claims.get("iss") == self.issuer and header.get("alg") in self.algorithms:
            kid = header.get("kid")
            await self.keys.ensure(kid if isinstance(kid, str) else None)

    def verify(self, token: str, header: dict[str, Any]) -> ProviderClaims:
        """The caller of a token of this provider (``header``: its unverified header); TokenError if it is not valid."""
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            allowed = ", ".join(self.algorithms)
            raise TokenError(f"the token is signed with algorithm {algorithm!r}, which is not allowed for the "
                             f"identity provider's tokens (GOVSHARE_OIDC_ALGORITHMS: {allowed})")  # fmt: skip
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenError("the token's key id ('kid') is not a string")
        key = self.keys.key(kid, str(algorithm))
        generation = self.keys.generation
        try:
            claims = jwt.decode(token, key, algorithms=[str(algorithm)], options=_SIGNATURE_ONLY)
        except jwt.InvalidSignatureError:
            raise TokenError(f"the token's signature does not verify with the provider's key {kid!r}") from None
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"the bearer token is invalid ({exc})") from None
        if claims.get("iss") != self.issuer:
            raise TokenError(f"the token's issuer {claims.get('iss')!r} is not the identity provider {self.issuer!r}")
        self._check_audience(claims.get("aud"))
        expires = self._check_times(claims)
        jti = claims.get("jti")
        if jti is not None and not isinstance(jti, str):
            raise TokenError("the token's claim 'jti' must be a string")
        department, user, roles = self._caller(claims)
        return ProviderClaims(department, user, roles, expires, jti, generation)

    def _check_audience(self, audience: object) -> None:
        named = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        if self.audience not in named:
            raise TokenError(f"the token is for audience {audience!r}, not this platform's {self.audience!r} "
                             "(GOVSHARE_OIDC_AUDIENCE)")  # fmt: skip

    def _check_times(self, claims: dict[str, Any]) -> float:
        """When the token stops being accepted; TokenError if that is past or it is not valid yet."""
        for name in ("exp", "nbf", "iat"):
            if name in claims and not is_number(claims[name]):
                raise TokenError(f"the token's claim '{name}' must be a number of seconds since 1970")
        if "exp" not in claims:
            raise TokenError("the token has no expiry ('exp'); the identity provider's tokens must expire")
        now, leeway = clock.now().timestamp(), self.leeway
        if claims["exp"] + leeway <= now:
            raise TokenError(f"the bearer token has expired (at {moment(claims['exp'])}, "
                             f"{leeway:g} s of clock difference allowed); sign in again")  # fmt: skip
        if "nbf" in claims and claims["nbf"] - leeway > now:
            raise TokenError(f"the bearer token is not valid yet (not before {moment(claims['nbf'])}, "
                             f"{leeway:g} s of clock difference allowed)")  # fmt: skip
        return float(claims["exp"] + leeway)

    def _caller(self, claims: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
        """The department, user and govshare roles the configured claims give."""
        names = {self.department_claim: "DEPARTMENT", self.user_claim: "USER", self.roles_claim: "ROLES"}
        found = {name: claim(claims, name) for name in names}
        for name, setting in names.items():
            if found[name] is None:
                raise TokenError(f"the token has no claim {name!r} (GOVSHARE_OIDC_{setting}_CLAIM)")
        department, user, named = found[self.department_claim], found[self.user_claim], found[self.roles_claim]
        if not isinstance(department, str):
            raise TokenError(f"the token's claim {self.department_claim!r} must be a department code (a string)")
        if not isinstance(user, str) or not user:
            raise TokenError(f"the token's claim {self.user_claim!r} must be a non-empty string")
        # A provider's roles claim may be one space-separated string; roles of other applications are ignored.
        named = named.split() if isinstance(named, str) else named
        if not isinstance(named, list) or not all(isinstance(role, str) for role in named):
            raise TokenError(f"the token's claim {self.roles_claim!r} must be a list of role names")
        roles = tuple(sorted({role for role in named if role in ROLES}))
        if not roles:
            raise TokenError(f"the token's roles {named!r} (claim {self.roles_claim!r}) include none of "
                             f"govshare's: {', '.join(ROLES)}")  # fmt: skip
        return department, user, roles
