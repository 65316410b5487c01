"""Identity (R11): signed bearer tokens naming department, user and roles.

The platform's own tokens are HS256 JWTs signed with ``GOVSHARE_SECRET``, or with a
key generated once into the data directory, so that ``govshare token issue`` and the
server agree without configuration. With ``GOVSHARE_OIDC_ISSUER`` set, the tokens of
that OpenID Connect provider are accepted too (govshare.oidc); the two are told apart
by their issuer. A revoked token (govshare.revocation) is refused until its moment.
Time checks use the platform clock, so ``GOVSHARE_NOW`` governs expiry like everything else.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt

from govshare import clock
from govshare.catalog.model import Catalog
from govshare.identity import ROLES, Caller
from govshare.identity import TokenError as TokenError  # re-exported: the doors catch it from here
from govshare.oidc import Provider
from govshare.oidc.claims import is_number, unverified
from govshare.settings import Settings

if TYPE_CHECKING:  # the store's code is not loaded by the commands that only issue tokens
    from govshare.revocation import RevokedTokens

ISSUER = "govshare"
_TTL = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def secret_file(settings: Settings) -> Path:
    """Where the generated signing key lives: in the data directory, beside the platform database."""
    return Path(settings.data_dir) / "secret.key"


def signing_key(settings: Settings) -> str:
    if settings.secret:
        return settings.secret
    path = secret_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Create with owner-only permissions before writing the key.
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def parse_ttl(text: str) -> timedelta:
    match = _TTL.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"--ttl {text!r} is not a duration like 30m, 8h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def issue_token(
    settings: Settings, department: str, user: str, roles: list[str], ttl: timedelta = timedelta(hours=8)
) -> str:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r}; roles are: {', '.join(ROLES)}")
    if not department or not user:
        raise ValueError("a token needs a department and a user")
    issued = clock.now()
    claims = {
        "iss": ISSUER,
        "sub": user,
        "dept": department,
        "roles": sorted(set(roles or ["member"])),
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, signing_key(settings), algorithm="HS256")


@dataclass(frozen=True, slots=True)
class Verified:
    caller: Caller
    expires: float  # seconds since 1970 from which the token is refused
    jti: str | None
    keys: int | None = None  # the generation of the provider's keys that checked it; None: a platform token


def verify_token(settings: Settings, token: str, catalog: Catalog) -> Caller:
    return _verified(settings, token, catalog).caller


def _verified(settings: Settings, token: str, catalog: Catalog) -> Verified:
    """The caller a platform token names, and when it expires."""
    try:
        claims = jwt.decode(
            token,
            signing_key(settings),
            algorithms=["HS256"],
            issuer=ISSUER,
            # exp, iat and sub are checked here, with messages naming the claim.
            options={"verify_exp": False, "verify_iat": False, "verify_sub": False, "require": ["exp", "sub", "iss"]},
        )
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"the bearer token is invalid ({exc}); issue one with `govshare token issue`") from None
    _check_types(claims)
    if claims["exp"] <= clock.now().timestamp():
        raise TokenError("the bearer token has expired; issue a new one with `govshare token issue`")
    caller = _caller(catalog, claims.get("dept"), claims["sub"], claims.get("roles"))
    return Verified(caller, float(claims["exp"]), claims.get("jti"))


def _caller(catalog: Catalog, department: object, user: str, roles: object) -> Caller:
    """The caller of a verified token: its department is in the catalog, its roles are govshare's."""
    if not isinstance(department, str) or department not in catalog.departments:
        raise TokenError(f"the token's department {department!r} is not in the catalog")
    if not isinstance(roles, list) or any(r not in ROLES for r in roles):
        raise TokenError(f"the token's roles {roles!r} are not all among {', '.join(ROLES)}")
    if "authority" in roles and department != catalog.platform.authority:
        raise TokenError(f"the token gives role 'authority' to {department!r}, which is not the platform authority")
    return Caller(department=department, user=user, roles=tuple(roles))


# Each claim the server reads, what it must be, and how to tell.
_CLAIM_TYPES: tuple[tuple[str, str, Callable[[object], bool]], ...] = (
    ("exp", "a number of seconds since 1970", is_number),
    ("iat", "a number of seconds since 1970", is_number),
    ("sub", "a non-empty string", lambda v: isinstance(v, str) and bool(v)),
    ("dept", "a string", lambda v: isinstance(v, str)),
    ("roles", "a list of strings", lambda v: isinstance(v, list) and all(isinstance(r, str) for r in v)),
    ("jti", "a string", lambda v: isinstance(v, str)),
)


def _check_types(claims: dict[str, Any]) -> None:
    """A token signed with the right key may still hold claims of the wrong type; name the first."""
    for name, kind, holds in _CLAIM_TYPES:
        if name in claims and not holds(claims[name]):
            raise TokenError(
                f"the token's claim '{name}' must be {kind}, not {type(claims[name]).__name__}; "
                "issue a token with `govshare token issue`"
            )


class TokenCache:
    """The tokens one server accepts (same key, provider and catalog). Verified tokens are kept, so a
    client's repeated requests skip the signature check; expiry and revocation are still checked on
    every use, and a provider's token is checked again once the provider's keys have been fetched anew."""

    def __init__(
        self, settings: Settings, catalog: Catalog, revoked: RevokedTokens | None = None, size: int = 10_000
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.size = size
        self.provider = Provider(settings) if settings.oidc_issuer else None
        self.revoked = revoked
        self._known: dict[str, Verified] = {}

    async def prepare(self, token: str) -> None:
        """Before :meth:`verify`: fetch the identity provider's keys if ``token`` needs them, so that
        verifying, which never waits on the network, finds them."""
        if self.provider is None:
            return
        found = self._known.get(token)
        if found is None or not self._keys_current(found):
            await self.provider.prepare(token)

    def verify(self, token: str) -> Caller:
        return self.verified(token)[0]

    def verified(self, token: str) -> tuple[Caller, float]:
        """The token's caller and when it expires (seconds since 1970); TokenError if it is not valid now."""
        found = self._known.get(token)
        if found is None or found.expires <= clock.now().timestamp() or not self._keys_current(found):
            found = self._verify(token)
            if len(self._known) >= self.size:
                self._known.clear()  # simple bound: a full cache starts over
            self._known[token] = found
        if self.revoked is not None:
            self.revoked.check(found.jti)
        return found.caller, found.expires

    def _keys_current(self, found: Verified) -> bool:
        """Whether the provider's key that checked ``found`` is known to be still published."""
        keys = self.provider.keys if self.provider is not None else None
        return found.keys is None or (keys is not None and keys.fresh() and found.keys == keys.generation)

    def _verify(self, token: str) -> Verified:
        if self.provider is None:
            return _verified(self.settings, token, self.catalog)
        header, claims = unverified(token)
        issuer = claims.get("iss")
        if issuer == ISSUER:
            return _verified(self.settings, token, self.catalog)
        if issuer != self.provider.issuer:
            raise TokenError(f"the token's issuer {issuer!r} is neither the identity provider "
                             f"{self.provider.issuer!r} nor this platform ({ISSUER!r})")  # fmt: skip
        found = self.provider.verify(token, header)
        caller = _caller(self.catalog, found.department, found.user, list(found.roles))
        return Verified(caller, found.expires, found.jti, found.generation)
