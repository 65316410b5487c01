"""`govshare export` against a served platform: the file it writes, and a cut file continued with --resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from govshare.auth import issue_token
from govshare.settings import Settings
from tests.commands.conftest import govshare
from tests.worlds import graphql_headers


def _export(base_url: str, settings: Settings, out: Path, *extra: str) -> tuple[int, str]:
    token = issue_token(settings, "transport", "alice", ["member"])
    done = govshare("export", "Resident", "--url", base_url, "--purpose", "work_reference", "--output", str(out),
                    "--items", "residentId,fullName,score", *extra, cwd=out.parent, GOVSHARE_TOKEN=token)  # fmt: skip
    return done.returncode, done.stderr


def _whole(base_url: str, settings: Settings, **params: str) -> bytes:
    headers = graphql_headers(settings, "transport", "alice", purpose="work_reference")
    params = {"items": "residentId,fullName,score", **params}
    return httpx.get(f"{base_url}/export/Resident", params=params, headers=headers, timeout=60).content


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_a_cut_file_continued_with_resume_is_the_whole_export(
    export_url: str, export_settings: Settings, tmp_path: Path, format: str
) -> None:
    out = tmp_path / f"residents.{format}"
    code, stderr = _export(export_url, export_settings, out, "--format", format, "--order=-score")
    assert code == 0, stderr
    whole = _whole(export_url, export_settings, format=format, order="-score")
    assert out.read_bytes() == whole and "export" in stderr
    for cut in (len(whole) // 3, whole.index(b"\n") + 1, whole.index(b"\n") // 2):
        out.write_bytes(whole[:cut])  # what a cut transfer leaves: complete rows, then part of one
        code, stderr = _export(export_url, export_settings, out, "--format", format, "--order=-score", "--resume")
        assert code == 0, stderr
        assert out.read_bytes() == whole, f"cut at byte {cut}"


def test_refusals_and_a_missing_token_are_one_line_each(
    export_url: str, export_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "x.csv"
    done = govshare("export", "Resident", "--url", export_url, "--purpose", "work_reference", "-o", str(out),
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1 and "GOVSHARE_TOKEN" in done.stderr
    code, stderr = _export(export_url, export_settings, out, "--filter", '{"phone": {"eq": "1"}}')
    assert code == 1 and stderr.startswith("govshare: 403: Resident.phone (电话) is shared only on an approved")
    assert len(stderr.splitlines()) == 1 and not out.exists()
