"""The ``govshare`` command (DESIGN §8). Every failure exits non-zero with a one-line reason."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from govshare.catalog import CatalogError, load_catalog
from govshare.catalog.model import Catalog
from govshare.commands import audit as audit_cli
from govshare.commands import grant as grant_cli
from govshare.commands import workflow as workflow_cli
from govshare.commands.check import check_main
from govshare.settings import SettingsError, load_settings


class CommandError(Exception):
    """A reason to stop, shown as one line on stderr."""


def _catalog(path: str) -> Catalog:
    try:
        return load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"{path}: the catalog has {len(exc.problems)} problem(s), listed above") from None


def cmd_check(args: argparse.Namespace) -> int:
    return check_main(args.file)


def cmd_schema_export(args: argparse.Namespace) -> int:
    from govshare.schema.build import build_schema

    sys.stdout.write(build_schema(_catalog(args.catalog)).sdl())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from govshare.app import create_app

    catalog = _catalog(args.catalog)
    app = create_app(catalog, load_settings())
    print(f"govshare: serving {catalog.platform.name} on http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    from govshare.auth import issue_token, parse_ttl

    settings = load_settings()
    if args.catalog:
        catalog = _catalog(args.catalog)
        if args.department not in catalog.departments:
            raise CommandError(
                f"department {args.department!r} is not in {args.catalog}; known: {', '.join(catalog.departments)}"
            )
    try:
        token = issue_token(settings, args.department, args.user, args.role or ["member"], parse_ttl(args.ttl))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(token)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from govshare.demo.run import run_demo

    run_demo(Path(args.dir), persons=args.persons, host=args.host, port=args.port)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="govshare", description="GraphQL gateway for government data sharing")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="generate the demo world (if absent) and serve it")
    demo.add_argument("--dir", default="govshare-demo", help="where the demo world lives")
    demo.add_argument("--persons", type=int, default=10_000, help="number of persons to generate")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(run=cmd_demo)

    serve = commands.add_parser("serve", help="serve a catalog")
    serve.add_argument("--catalog", required=True, metavar="FILE")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)

    check = commands.add_parser("check", help="validate a catalog; exit 1 and list every problem")
    check.add_argument("file")
    check.set_defaults(run=cmd_check)

    schema = commands.add_parser("schema", help="schema tools").add_subparsers(dest="action", required=True)
    export = schema.add_parser("export", help="print the generated SDL")
    export.add_argument("--catalog", required=True, metavar="FILE")
    export.set_defaults(run=cmd_schema_export)

    token = commands.add_parser("token", help="bearer tokens").add_subparsers(dest="action", required=True)
    issue = token.add_parser("issue", help="print a signed token (the token alone on stdout)")
    issue.add_argument("--department", required=True)
    issue.add_argument("--user", required=True)
    issue.add_argument("--role", action="append", help="member (default), dept_admin, authority, auditor")
    issue.add_argument("--ttl", default="8h", help="lifetime, e.g. 30m, 8h, 7d")
    issue.add_argument("--catalog", metavar="FILE", help="check that the department exists in this catalog")
    issue.set_defaults(run=cmd_token_issue)

    grant_cli.add_parser(commands)
    workflow_cli.add_parser(commands)
    audit_cli.add_parser(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (CommandError, SettingsError, grant_cli.GrantCommandError, audit_cli.AuditCommandError) as exc:
        print(f"govshare: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
