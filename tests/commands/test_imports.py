"""The small commands start without the server's libraries (their cost is measured in bench/cli_start.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.commands.conftest import Platform, clean_env

HEAVY = ("strawberry", "graphql", "uvicorn", "sqlalchemy", "casbin", "alembic", "faker", "holidays",
         "chinese_calendar", "rich", "httpx", "starlette", "aiosqlite", "asyncpg")  # fmt: skip
# What a command that reads the platform database may load: SQLAlchemy and the SQLite driver.
STORE = ("sqlalchemy", "aiosqlite")

# Runs one command as `govshare` does, then prints which of HEAVY it loaded, on a line of its own.
PROBE = """
import json, sys
from govshare.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(%r)))
print("LOADED " + json.dumps(loaded), file=sys.stderr)
sys.exit(code)
"""


def _loaded(platform: Platform, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % json.dumps(HEAVY), *args, "--dir", str(platform.data_dir)],
        env=clean_env(), cwd=platform.cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    loaded: list[str] = json.loads(line.removeprefix("LOADED "))
    return loaded


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (("--help",), ()),
        (("token", "issue", "--department", "transport", "--user", "u"), ()),
        (("check", "{catalog}"), ()),
        (("grant", "list"), STORE),
        # Writes to the store and its audit log (whose writer loads the PostgreSQL driver); fetches no keys.
        (("token", "revoke", "--jti", "j1", "--until", "2099-01-01T00:00:00+08:00"), (*STORE, "asyncpg")),
    ],
    ids=["help", "token issue", "check", "grant list", "token revoke"],
)
def test_a_small_command_loads_no_heavy_library(
    platform: Platform, args: tuple[str, ...], allowed: tuple[str, ...]
) -> None:
    args = tuple(a.replace("{catalog}", str(platform.world.catalog_path)) for a in args)
    loaded = _loaded(platform, *args)
    assert [name for name in loaded if name not in allowed] == []
    if allowed:  # the probe sees what a command loads: grant list does read the store
        assert "sqlalchemy" in loaded


def test_a_database_at_the_newest_schema_is_not_migrated_again(platform: Platform) -> None:
    """The cheap check before alembic: its head is the newest migration file's revision."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from govshare.store.database import MIGRATIONS, head_revision

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == head_revision()
    assert "alembic" not in _loaded(platform, "audit", "verify")
