"""`govshare token issue`: a signed bearer token for a department of the catalog the platform serves.
`govshare token revoke`: refuse a token (the platform's or an identity provider's) by its jti until a moment."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import shlex
import sys

from govshare import clock
from govshare.auth import issue_token, parse_ttl, secret_file
from govshare.commands.arguments import actor
from govshare.commands.check import catalog_file
from govshare.commands.errors import CommandError
from govshare.commands.platform import platform_engine, served_catalog
from govshare.settings import Settings


def issue(args: argparse.Namespace, settings: Settings) -> int:
    roles = args.role or ["member"]
    catalog = catalog_file(args.catalog) if args.catalog else served_catalog(settings)
    if catalog is None:
        print(f"govshare: {settings.data_dir} has no platform yet: department {args.department!r} not checked "
              "(give --catalog FILE, or the --dir of the running platform)", file=sys.stderr)  # fmt: skip
    elif args.department not in catalog.departments:
        raise CommandError(f"department {args.department!r} is not in the catalog {catalog.path}; "
                           f"known departments: {', '.join(catalog.departments)}")  # fmt: skip
    elif "authority" in roles and args.department != catalog.platform.authority:
        raise CommandError(f"role 'authority' belongs to the platform authority {catalog.platform.authority}, "
                           f"not {args.department}; the server would refuse this token")  # fmt: skip
    made = not settings.secret and not secret_file(settings).exists()
    try:
        token = issue_token(settings, args.department, args.user, roles, parse_ttl(args.ttl))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if made:
        print(f"govshare: made a new signing secret, {secret_file(settings)}: only a server with this data "
              "directory (or the same GOVSHARE_SECRET) accepts the token", file=sys.stderr)  # fmt: skip
    print(token)
    return 0


def revoke(args: argparse.Namespace, settings: Settings) -> int:
    jti, until = _revocation(args, settings)
    if until <= clock.now():
        raise CommandError(f"--until {until.isoformat()} is past: the token would be refused by nothing")
    asyncio.run(_revoke(settings, jti, until, actor(args.by), args.reason))
    print(f"revoked {jti} until {until.isoformat(timespec='seconds')}: refused by every server of this platform "
          f"within {settings.policy_poll:g} s")  # fmt: skip
    return 0


def _revocation(args: argparse.Namespace, settings: Settings) -> tuple[str, datetime.datetime]:
    """The jti and the moment of ``--jti``/``--until``, or else of the token ``--token`` (its own claims)."""
    claims: dict[str, object] = {}
    if args.token:
        import jwt

        try:  # not verified: revoking a token only ever refuses more
            claims = jwt.decode(args.token, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise CommandError(f"--token is not a JWT ({exc})") from None
    jti = args.jti or claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise CommandError("give --jti, or a --token that has a 'jti' claim")
    if args.until:
        try:
            return jti, clock.as_utc(datetime.datetime.fromisoformat(args.until))
        except ValueError:
            raise CommandError(f"--until {args.until!r} is not a time like 2026-12-01T18:00:00+08:00") from None
    expiry = claims.get("exp")
    if not isinstance(expiry, int | float):
        raise CommandError("give --until (the token's expiry at the latest), or a --token that has an 'exp' claim")
    # The identity provider's tokens are accepted for the clock leeway past their expiry.
    return jti, datetime.datetime.fromtimestamp(expiry + settings.oidc_leeway, datetime.UTC)


async def _revoke(settings: Settings, jti: str, until: datetime.datetime, by: str, reason: str | None) -> None:
    from govshare.audit.platform import platform_log
    from govshare.audit.record import AuditRecord
    from govshare.store.revocations import revoke_token

    async with platform_engine(settings) as engine:
        async with engine.begin() as conn:
            await revoke_token(conn, jti, until, by, reason, clock.now())
        audit = platform_log(engine, settings)
        try:  # revoking is an operation on the platform like any other: recorded
            command = "govshare " + shlex.join(sys.argv[1:]) if sys.argv[1:] else f"govshare token revoke --jti {jti}"
            detail = {"jti": jti, "until": until.isoformat(), "reason": reason}
            await audit.append(AuditRecord(kind="cli", outcome="answered", user=by, query=command, detail=detail))
        finally:
            await audit.close()
