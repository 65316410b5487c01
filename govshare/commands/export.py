"""`govshare export`: a bulk export from a running platform into a file, continued after a cut.

A client of ``GET /export/{Resource}`` like any other: the platform decides, streams and
records. A cut transfer keeps every complete row in the file; ``--resume`` drops the cut
line, reads the last complete row and asks the platform for the rows after it, appending
them, so the file ends as one export with no row twice and none missed.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson

from govshare.commands.errors import CommandError
from govshare.settings import Settings

TOKEN_ENV = "GOVSHARE_TOKEN"


def run(args: argparse.Namespace, _settings: Settings) -> int:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CommandError(f"give --token or set {TOKEN_ENV} (a department's token: `govshare token issue`)")
    output = Path(args.output)
    params = {k: v for k in ("items", "filter", "order", "format", "header") if (v := getattr(args, k))}
    append = False
    if args.resume and output.exists():
        last = _last_row(output, args.format)
        append = output.stat().st_size > 0  # a cut inside the header leaves nothing to continue
        if append:
            params["header"] = "none"
        if last is not None:
            params["after"] = orjson.dumps(last).decode()
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": args.purpose}
    url = f"{args.url.rstrip('/')}/export/{args.resource}"
    written = 0
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(60.0)) as http,
            http.stream("GET", url, params=params, headers=headers) as response,
        ):
            if response.status_code != 200:
                raise CommandError(_refusal(response))
            with output.open("ab" if append else "wb") as out:
                for chunk in response.iter_raw():
                    out.write(chunk)
                    written += len(chunk)
            export_id = response.headers.get("x-export-id", "?")
    except httpx.TransportError as exc:
        if written:
            raise CommandError(
                f"the export was cut after {written} bytes ({type(exc).__name__}); the complete rows are in "
                f"{output}: run the same command with --resume to continue"
            ) from None
        raise CommandError(f"cannot reach {args.url} ({type(exc).__name__})") from None
    verb = "appended" if append else "wrote"
    print(f"{verb} {written} bytes of {args.resource} to {output} (export {export_id})", file=sys.stderr)
    return 0


def _refusal(response: httpx.Response) -> str:
    response.read()
    try:
        errors = response.json()["errors"]
        return f"{response.status_code}: " + " | ".join(str(e["message"]) for e in errors)
    except (ValueError, KeyError, TypeError):
        return f"the platform answered {response.status_code}"


def _last_row(path: Path, format: str | None) -> dict[str, Any] | None:
    """The last complete row of a cut export (the cut line removed from the file), or None if it has none."""
    with path.open("rb+") as handle:
        content = handle.read()
        end = content.rfind(b"\n") + 1
        handle.truncate(end)
    lines = content[:end].splitlines()
    if format == "jsonl":
        try:
            found: dict[str, Any] | None = orjson.loads(lines[-1]) if lines else None
        except orjson.JSONDecodeError:
            raise CommandError(f"the last line of {path} is not JSON: it is not a cut export of this format") from None
        return found
    if not lines:
        return None
    names, row = next(csv.reader([lines[0].decode()])), next(csv.reader([lines[-1].decode()]))
    if len(lines) == 1:
        return None  # the header alone
    if len(row) != len(names):
        raise CommandError(
            f"the last line of {path} has {len(row)} fields and its header {len(names)}: cannot tell where the "
            "export stopped (a value holding a line break?); start it again without --resume"
        )
    return dict(zip(names, row, strict=True))
