"""`govshare catalog export|import`: files written, messages one per line, exit codes; never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govshare.catalog import load_catalog
from govshare.catalog.render import render_catalog
from govshare.cli import main
from tests.commands.conftest import served_platform
from tests.policies.world import World
from tests.test_catalog_guide_support import edited, tables_of, valid_catalog, write_tables
from tests.test_catalog_support import VALID_PATH, VALID_TEXT

LICENSE_NOTE = (
    "信息资源代码 '1020200002/000001' is of 类 1 (基础信息资源), but the resource is a 主题信息资源 "
    "(hint: a 主题信息资源 has a code starting with 2: correct the code or the 信息资源分类)"
)


@pytest.fixture(autouse=True)
def _quiet_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings of this machine, no govshare.env: the commands see only what the test gives them."""
    for name in [n for n in os.environ if n.startswith("GOVSHARE_") or n == "POLICE_DB_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out.splitlines(), err.splitlines()


def test_export_to_a_workbook_and_import_it_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "catalog", "export", "--catalog", str(VALID_PATH), "--out", "guide.xlsx") == (
        0,
        ["wrote guide.xlsx (xlsx): 2 resources, 7 items"],
        [f"note: guide.xlsx: 信息资源!A3 (信息资源代码): {LICENSE_NOTE}"],
    )
    code, out, _err = run(capsys, "catalog", "import", "guide.xlsx", "--out", "catalog.yaml")
    assert (code, out) == (0, ["wrote catalog.yaml: 2 resources from 2 departments"])
    assert (tmp_path / "catalog.yaml").read_text(encoding="utf-8") == render_catalog(valid_catalog())
    assert run(capsys, "check", "catalog.yaml")[:2] == (0, ["OK: 2 resources from 2 departments"])


@pytest.mark.parametrize(("out", "fmt"), [("guide.zip", "csv"), ("guide", "csv"), ("dir/", "csv")])
def test_csv_goes_to_a_zip_or_a_folder(out: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, "catalog", "export", "--catalog", str(VALID_PATH), "--format", fmt, "--out", out)
    assert code == 0 and lines[0].startswith(f"wrote {out.rstrip('/')} (csv)")
    code, lines, _ = run(capsys, "catalog", "import", out, "--out", "-")
    assert code == 0
    assert "\n".join(lines) + "\n" == render_catalog(valid_catalog())


def test_the_format_follows_the_output_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "catalog", "export", "--catalog", str(VALID_PATH), "--out", "same.yaml")[0] == 0
    assert (tmp_path / "same.yaml").read_text(encoding="utf-8") == VALID_TEXT  # as written, comments and all
    assert run(capsys, "catalog", "export", "--catalog", str(VALID_PATH), "--out", "one.csv") == (
        1,
        [],
        ["govshare: cannot tell the format from one.csv: give --format yaml, csv or xlsx (CSV goes to a folder or "
         "a .zip: it is several files)"],
    )  # fmt: skip


def test_a_bad_workbook_lists_its_problems_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets = edited(tables_of(valid_catalog()), "信息项", 4, "不予共享依据", "")
    sheets = edited(sheets, "信息项", 3, "共享条件", "")
    write_tables(tmp_path / "bad.xlsx", sheets)
    code, out, err = run(capsys, "catalog", "import", "bad.xlsx", "--out", "catalog.yaml")
    assert (code, out) == (1, [])
    assert err == [
        f"note: bad.xlsx: 信息资源!A3 (信息资源代码): {LICENSE_NOTE}",
        "bad.xlsx: 信息项!E4 (共享条件): item 'phone' of resource 'Person' is conditional but states no condition "
        "(hint: add condition: saying when it is shared, e.g. 仅限办理业务时使用)",
        "bad.xlsx: 信息项!F5 (不予共享依据): item 'criminalRecord' of resource 'Person' is withheld but cites no "
        "legal_basis (R3) (hint: add legal_basis: naming the law or regulation that withholds it, "
        "e.g. 《中华人民共和国个人信息保护法》第三十四条)",
        "govshare: bad.xlsx: 2 problem(s) listed above; nothing written",
    ]
    assert not (tmp_path / "catalog.yaml").exists()


def test_export_without_a_catalog_needs_a_platform(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "catalog", "export", "--out", "guide.xlsx", "--dir", "empty")
    assert (code, out) == (1, [])
    assert err == [f"govshare: {tmp_path / 'empty'} has no platform catalog yet: give --catalog FILE, or the --dir "
                   "of the running platform"]  # fmt: skip


def test_export_of_the_catalog_the_platform_serves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    served_platform(World(tmp_path, VALID_PATH, load_catalog(VALID_PATH, env={})), tmp_path / "platform")
    code, out, _ = run(capsys, "catalog", "export", "--out", "served.yaml", "--dir", "platform")
    assert (code, out) == (0, ["wrote served.yaml (yaml): 2 resources, 7 items"])
    assert (tmp_path / "served.yaml").read_text(encoding="utf-8") == VALID_TEXT
    assert run(capsys, "catalog", "export", "--out", "served.xlsx", "--dir", "platform")[0] == 0
    assert run(capsys, "catalog", "import", "served.xlsx", "--out", "-")[1][0] == "version: 1"
