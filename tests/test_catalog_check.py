"""`govshare check FILE`: exit codes and output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from govshare.commands.check import check_main
from tests.test_catalog_support import VALID_PATH, VALID_TEXT, variant


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_valid_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main(str(VALID_PATH)) == 0
    out, err = capsys.readouterr()
    assert out == "OK: 2 resources from 2 departments\n"
    assert err == ""


def test_counts_providing_departments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Both resources from one department: three departments exist, one provides.
    text = variant(
        {
            "    provider: market": "    provider: police",
            "    source: market_api": "    source: police_db",
        }
    )
    assert check_main(write(tmp_path, text)) == 0
    assert capsys.readouterr().out == "OK: 2 resources from 1 departments\n"


def test_every_problem_one_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, variant({"    key: licenseNo": "    key: nope", "  authority: bigdata": "  authority: x"}))
    assert check_main(path) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines == [
        f"{path}:5: 'authority' of platform is 'x', which is not a defined department "
        "(hint: defined departments are: 'police', 'market', 'bigdata')",
        f"{path}:58: key 'nope' of resource 'License' is not one of its items "
        "(hint: its items are: 'licenseNo', 'holderId', 'issuedOn')",
    ]


def test_yaml_syntax_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, VALID_TEXT.replace("  name: 开封市政务数据共享平台", "  name: [开封"))
    assert check_main(path) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert re.match(rf"{re.escape(path)}:\d+: YAML syntax error: ", err)


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "absent.yaml")
    assert check_main(path) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{path}: cannot read the catalog: No such file or directory "
        "(hint: check the path, and that the file is UTF-8 text)\n"
    )


def test_directory_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main(str(tmp_path)) == 1
    assert "cannot read the catalog: Is a directory" in capsys.readouterr().err


def test_unset_variable_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MARKET_URL", raising=False)
    path = write(tmp_path, VALID_TEXT.replace("https://market.example.gov.cn/api", "${MARKET_URL}"))
    assert check_main(path) == 1
    assert capsys.readouterr().err.startswith(f"{path}:24: environment variable MARKET_URL is not set")
    monkeypatch.setenv("MARKET_URL", "https://m.example")
    assert check_main(path) == 0
