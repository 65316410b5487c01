"""The arguments of every `govshare` command (DESIGN §8), and which function runs each.

Only :mod:`argparse` here: the command's own module (``run="module:function"``) is imported
when the command runs, so that `govshare --help` and the small commands start at once.
"""

from __future__ import annotations

import argparse
import datetime
from typing import TypeAlias

Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

DIR_HELP = (
    "the data directory: platform database, signing secret, result keyring (and the demo world); "
    "default $GOVSHARE_DATA_DIR, else ./.govshare. Give every command of one platform the same one"
)


def command(
    group: Subcommands,
    name: str,
    run: str,
    help: str,
    parents: tuple[argparse.ArgumentParser, ...] = (),
    **defaults: object,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(name, help=help, description=help, parents=list(parents))
    parser.set_defaults(run=run, **defaults)
    return parser


def acting(parser: argparse.ArgumentParser, who: str) -> argparse.ArgumentParser:
    """The department and user a workflow step is taken as (recorded in its events and the audit log)."""
    parser.add_argument("--department", required=True, help=f"the department that acts: {who}")
    parser.add_argument("--user", "--by", dest="user", help="who acts (recorded); default cli:<login>")
    return parser


def request_options(parser: argparse.ArgumentParser) -> None:
    """What an application or a coordination request asks for."""
    parser.add_argument("--resource", help="the resource, e.g. Person")
    parser.add_argument("--items", help="comma-separated item names")
    parser.add_argument("--purposes", help="comma-separated purpose codes")
    parser.add_argument("--justification", required=True, help="why the department needs the items")
    parser.add_argument("--scope", help='row scope in the filter language, e.g. {"district": {"eq": "龙亭区"}}')
    parser.add_argument("--until", help="last day of the grant asked for (YYYY-MM-DD)")


def grant_terms(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--effect", required=required, choices=["allow", "mask", "verify"])
    parser.add_argument("--scope", help="row scope in the filter language; default: the one asked for")
    parser.add_argument("--until", help="last day of the grant (YYYY-MM-DD); default: the one asked for")


def _serving(root: Subcommands) -> None:
    demo = command(root, "demo", "govshare.commands.serve:demo",
                   "generate the demo world under the data directory (if absent) and serve it")  # fmt: skip
    demo.add_argument("--persons", type=int, default=10_000, help="number of persons to generate")
    demo.add_argument("--simulate-year", type=int, nargs="?", const=datetime.date.today().year, metavar="YEAR",
                      help="first fill a new platform with a simulated year of use (default this year, up to "
                      "yesterday), for the statistics and `govshare report`")  # fmt: skip
    serve = command(root, "serve", "govshare.commands.serve:serve", "serve a catalog")
    serve.add_argument("--catalog", required=True, metavar="FILE")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="worker processes sharing the platform store (default 1)")  # fmt: skip
    for parser in (demo, serve):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
    check = command(root, "check", "govshare.commands.check:run", "validate a catalog; exit 1 and list every problem")
    check.add_argument("file")
    check.add_argument(
        "--live", action="store_true",
        help="also check every resource against its live source: table, columns, types, unique key",
    )  # fmt: skip
    _catalog(root)
    schema = root.add_parser("schema", help="schema tools").add_subparsers(dest="action", required=True)
    export = command(schema, "export", "govshare.commands.check:schema_export", "print the generated SDL")
    export.add_argument("--catalog", required=True, metavar="FILE")
    token = root.add_parser("token", help="bearer tokens").add_subparsers(dest="action", required=True)
    issue = command(token, "issue", "govshare.commands.token:issue",
                    "print a signed token (the token alone on stdout)")  # fmt: skip
    issue.add_argument("--department", required=True)
    issue.add_argument("--user", required=True)
    issue.add_argument("--role", action="append", help="member (default), dept_admin, authority, auditor")
    issue.add_argument("--ttl", default="8h", help="lifetime, e.g. 30m, 8h, 7d")
    issue.add_argument("--catalog", metavar="FILE",
                       help="check the department in this catalog; default: the one the platform serves")  # fmt: skip
    revoke = command(token, "revoke", "govshare.commands.token:revoke",
                     "refuse a token (the platform's or a provider's) by its jti until a moment")  # fmt: skip
    revoke.add_argument("--jti", help="the token's 'jti' claim; default: that of --token")
    revoke.add_argument("--until", metavar="TIME",
                        help="refused until then, e.g. 2026-12-01T18:00:00+08:00 (UTC without an offset); "
                        "default: the expiry of --token")  # fmt: skip
    revoke.add_argument("--token", help="the token itself: its jti and expiry are read from it")
    revoke.add_argument("--reason", help="why (recorded)")
    revoke.add_argument("--by", help="who revokes (recorded); default cli:<login>")


def _catalog(root: Subcommands) -> None:
    group = root.add_parser("catalog", help="the catalog as YAML or as the compilation guide's tables (CSV, XLSX); "
                            "drafts of its entries")  # fmt: skip
    actions = group.add_subparsers(dest="action", required=True)
    export = command(actions, "export", "govshare.commands.catalog:export",
                     "write the catalog as YAML, or as the guide's tables: an XLSX workbook, or CSV files "
                     "in a folder or a .zip")  # fmt: skip
    export.add_argument("--catalog", metavar="FILE", help="the catalog to export; default: the one the platform serves")
    export.add_argument("--format", choices=["yaml", "csv", "xlsx"],
                        help="default: from --out (.yaml, .xlsx, .zip or a folder: csv)")  # fmt: skip
    export.add_argument("--out", required=True, metavar="PATH")
    imports = command(actions, "import", "govshare.commands.catalog:import_",
                      "read the guide's tables (XLSX, or a folder or .zip of CSV files), check them and "
                      "write the catalog as YAML")  # fmt: skip
    imports.add_argument("path", metavar="PATH", help="an .xlsx workbook, or a folder or .zip of CSV files")
    imports.add_argument("--out", required=True, metavar="FILE", help="the YAML catalog to write ('-': stdout)")
    _catalog_drafts(actions)


def _catalog_drafts(actions: Subcommands) -> None:
    draft = acting(command(actions, "draft", "govshare.commands.catalog:draft",
                           "save a draft of one resource's entry from a YAML file; prints the draft and its problems "
                           "(exit 1 when it has any; it is saved all the same)", role="dept_admin"),
                   "the provider, as its dept_admin")  # fmt: skip
    draft.add_argument("file", metavar="FILE", help="the resource's entry as in the catalog, without its name "
                       "(code, title, provider, …); an empty file removes the resource")  # fmt: skip
    draft.add_argument("--resource", required=True, metavar="NAME", help="the resource (type name), e.g. Person")
    draft.add_argument("--id", type=int, help="write this draft anew (one still a draft, or returned)")
    diff = command(actions, "diff", "govshare.commands.catalog:diff",
                   "print what publishing a draft would change: grants that end first, then the catalog's changes",
                   role="dept_admin")  # fmt: skip
    diff.add_argument("id", type=int)
    diff.add_argument("--department", help="read as this department's dept_admin (default: the platform authority)")
    diff.add_argument("--user", "--by", dest="user", help="who reads (recorded); default cli:<login>")
    submit = acting(command(actions, "submit", "govshare.commands.catalog:submit",
                            "submit a draft for the authority's review, once it passes every check, at its live "
                            "source too", role="dept_admin"), "the provider, as its dept_admin")  # fmt: skip
    submit.add_argument("id", type=int)


def _grants(root: Subcommands) -> None:
    grant = root.add_parser("grant", help="the authority's direct grants").add_subparsers(dest="action", required=True)
    run = "govshare.commands.grant:run"
    add = command(grant, "add", run, "grant items to a department; prints the grant id")
    add.add_argument("--department", required=True)
    add.add_argument("--resource", required=True)
    add.add_argument("--items", required=True, help="comma-separated item names")
    add.add_argument("--purposes", required=True, help="comma-separated purpose codes")
    grant_terms(add, required=True)
    add.add_argument("--reason")
    add.add_argument("--by", help="who grants (recorded); default cli:<login>")
    revoke = command(grant, "revoke", run, "revoke a grant (as the authority, or as the provider's --department)")
    revoke.add_argument("id", type=int)
    revoke.add_argument("--reason")
    revoke.add_argument("--department", help="revoke as an administrator of this department (the provider)")
    revoke.add_argument("--by", "--user", dest="by", help="who revokes (recorded); default cli:<login>")
    listing = command(grant, "list", run, "list grants")
    listing.add_argument("--department")
    listing.add_argument("--resource")


def _applications(root: Subcommands) -> None:
    run = "govshare.commands.workflow:run"
    acting(command(root, "inbox", run, "what waits for a department", action="inbox", role="dept_admin"),
           "whose inbox")  # fmt: skip
    group = root.add_parser("application", help="sharing applications").add_subparsers(dest="action", required=True)
    listing = acting(command(group, "list", run, "the department's applications, as applicant or provider",
                             role="dept_admin"), "applicant or provider")  # fmt: skip
    listing.add_argument("--state", choices=["submitted", "approved", "rejected", "withdrawn"])
    listing.add_argument("--overdue", action="store_true", help="only those past their deadline without an answer")
    apply = acting(command(group, "apply", run, "apply to the provider for conditional items; prints the application",
                           role="member"), "the applicant")  # fmt: skip
    request_options(apply)
    withdraw = acting(command(group, "withdraw", run, "take back an application that has no answer yet",
                              role="member"), "the applicant")  # fmt: skip
    withdraw.add_argument("id", type=int)
    withdraw.add_argument("--reason")
    approve = acting(command(group, "approve", run, "approve an application: a grant from the next request on",
                             role="dept_admin"), "the provider")  # fmt: skip
    approve.add_argument("id", type=int)
    grant_terms(approve, required=True)
    approve.add_argument("--note")
    reject = acting(command(group, "reject", run, "reject an application, giving the reason", role="dept_admin"),
                    "the provider")  # fmt: skip
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True)
    revoke = acting(command(group, "revoke", run, "end the grant an approved application created",
                            role="dept_admin"), "the provider (or the authority)")  # fmt: skip
    revoke.add_argument("id", type=int)
    revoke.add_argument("--reason")


def _coordination(root: Subcommands) -> None:
    run = "govshare.commands.coordination:run"
    group = root.add_parser("coordination", help="coordination by the platform authority").add_subparsers(
        dest="action", required=True
    )
    request = acting(command(group, "request", run, "ask the authority for withheld items, or on a rejected "
                             "application (--application ID)", role="member"), "the applicant")  # fmt: skip
    request.add_argument("--application", type=int, help="the rejected application to escalate")
    request_options(request)
    decide = acting(command(group, "decide", run, "the authority's final decision, with its reasoning",
                            role="dept_admin"), "the platform authority")  # fmt: skip
    decide.add_argument("id", type=int)
    verdict = decide.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--grant", action="store_true", dest="grant", default=None, help="grant (name --effect)")
    verdict.add_argument("--refuse", action="store_false", dest="grant", help="refuse")
    decide.add_argument("--reasoning", required=True)
    grant_terms(decide, required=False)
    listing = acting(command(group, "list", run, "coordination requests the department may see",
                             role="dept_admin"), "whose view")  # fmt: skip
    listing.add_argument("--state", choices=["open", "granted", "refused"])


def _data_issues(root: Subcommands) -> None:
    run = "govshare.commands.data_issue:run"
    group = root.add_parser("data-issue", help="reports of suspected errors in shared data (校核)").add_subparsers(
        dest="action", required=True
    )
    report = acting(command(group, "report", run, "report a suspected error in a record to its provider",
                            role="member"), "the department that uses the data")  # fmt: skip
    report.add_argument("--resource", required=True)
    report.add_argument("--key", required=True, help="the record's key, e.g. an ID number")
    report.add_argument("--item", help="the item that looks wrong")
    report.add_argument("--description", required=True)
    answer = acting(command(group, "answer", run, "the provider's answer, with a note", role="dept_admin"),
                    "the provider")  # fmt: skip
    answer.add_argument("id", type=int)
    answer.add_argument("--verdict", required=True, choices=["corrected", "not_an_error"])
    answer.add_argument("--note", required=True)
    listing = acting(command(group, "list", run, "reports the department may see", role="dept_admin"),
                     "whose view")  # fmt: skip
    listing.add_argument("--state", choices=["open", "corrected", "not_an_error"])


def _audit(root: Subcommands) -> None:
    run = "govshare.commands.audit:run"
    audit = root.add_parser("audit", help="the audit log (auditors)").add_subparsers(dest="action", required=True)
    verify = command(audit, "verify", run, "check the chain and checkpoints; exit 1 naming the first bad record")
    verify.add_argument("--checkpoints", metavar="FILE",
                        help="checkpoints kept outside (JSON lines from `checkpoint --export`)")  # fmt: skip
    filters = argparse.ArgumentParser(add_help=False)
    for name in ("department", "user", "resource", "item", "decision", "outcome", "purpose", "since", "until"):
        filters.add_argument(f"--{name}")
    listing = command(audit, "list", run, "records, newest first, under a header line", parents=(filters,))
    listing.add_argument("--limit", type=int, default=50)
    export = command(audit, "export", run, "records as JSON lines or CSV, oldest first", parents=(filters,))
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", metavar="FILE")
    command(audit, "show", run, "one record in full").add_argument("seq", type=int)
    checkpoint = command(audit, "checkpoint", run, "sign the current head now; print it")
    checkpoint.add_argument("--export", metavar="FILE", help="also append it to FILE, to keep outside the platform")
    command(audit, "purge", run, "delete records older than GOVSHARE_AUDIT_RETENTION_DAYS (≥ 365)")
    command(audit, "replay", run, "run a recorded query again under the policy then and now").add_argument(
        "seq", type=int
    )
    command(audit, "rotate-key", run, "digest results under a new key from now on; older keys stay for older records")


def _exports(root: Subcommands) -> None:
    export = command(root, "export", "govshare.commands.export:run",
                     "download a bulk export (批量下载) of a resource from a running platform into a file")  # fmt: skip
    export.add_argument("resource", help="the resource type, e.g. LegalEntity")
    export.add_argument("--url", default="http://127.0.0.1:8000", help="the platform (default %(default)s)")
    export.add_argument("--token", help="the department's bearer token; default $GOVSHARE_TOKEN")
    export.add_argument("--purpose", required=True, help="the purpose code (X-Purpose)")
    export.add_argument("--items", help="comma-separated items; default every item you may read")
    export.add_argument("--filter", help='rows to export, in the filter language, e.g. {"district": {"eq": "龙亭区"}}')
    export.add_argument(
        "--order", help="comma-separated items, '-' before one for descending (--order=-score); default the key"
    )
    export.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    export.add_argument("--header", choices=["names", "titles", "none"], help="CSV header (default names)")
    export.add_argument("--output", "-o", required=True, metavar="FILE")
    export.add_argument("--resume", action="store_true",
                        help="continue a cut export in FILE (same options as the first run)")  # fmt: skip


def _statistics(root: Subcommands) -> None:
    run = "govshare.commands.stats:run"
    stats = root.add_parser("stats", help="sharing statistics (R12)").add_subparsers(dest="action", required=True)
    command(stats, "refresh", run, "count the audit records not counted yet")
    show = command(stats, "show", run, "refresh, then print the counts of a span of days as a table")
    show.add_argument("--since", required=True, help="first day (YYYY-MM-DD, China time)")
    show.add_argument("--until", required=True, help="last day, included")
    show.add_argument("--by", choices=["day", "month", "year"], help="one line per period (default: the whole span)")
    show.add_argument("--group", help="comma-separated: department, kind, purpose, outcome; with --items also "
                      "provider, resource, item, effect, basis")  # fmt: skip
    show.add_argument("--items", action="store_true", help="the decided items instead of the operations")
    show.add_argument("--department", help="only what this department used or (with --items) provided")


def _report(root: Subcommands) -> None:
    report = command(root, "report", "govshare.commands.report:run", "the yearly sharing report, as HTML and PDF (R12)")
    report.add_argument("--year", type=int, required=True, help="the year reported on (China time)")
    report.add_argument("--department", help="one department's report (default: the authority's, of all)")
    report.add_argument("--out", metavar="DIR", help="where to write report-YEAR[-DEPT].html and .pdf (default: .)")
    report.add_argument("--no-pdf", action="store_true", help="write the HTML report only")


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        return [parser]
    return [leaf for group in groups for sub in group.choices.values() for leaf in _leaves(sub)]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="govshare", description="GraphQL gateway for government data sharing")
    root.add_argument("--dir", metavar="DIR", help=DIR_HELP)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_serving, _grants, _applications, _coordination, _data_issues, _audit, _exports, _statistics, _report):
        add(commands)
    # Every command takes --dir, before or after its name; SUPPRESS keeps one given before.
    for leaf in _leaves(root):
        leaf.add_argument("--dir", metavar="DIR", default=argparse.SUPPRESS, help=DIR_HELP)
    return root
