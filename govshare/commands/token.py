"""`govshare token issue`: a signed bearer token for a department of the catalog the platform serves."""

from __future__ import annotations

import argparse
import sys

from govshare.auth import issue_token, parse_ttl, secret_file
from govshare.commands.check import catalog_file
from govshare.commands.errors import CommandError
from govshare.commands.platform import served_catalog
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
