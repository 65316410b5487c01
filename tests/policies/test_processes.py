"""Two gateway processes over one PostgreSQL platform database (DESIGN §6).

A change made through one instance, or by the command line, holds on every
instance once it has polled the policy version (twice a second).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from govshare.settings import Settings
from tests.policies.world import (
    GRANT_ADD,
    OTHER,
    PHONE,
    SECRET,
    Api,
    command_env,
    govshare,
    make_world,
    phone_grant,
    serving,
    wait_for,
)

pytestmark = pytest.mark.postgres


def test_a_change_on_one_instance_holds_on_all(postgres_url: str, tmp_path: Path) -> None:
    world = make_world(tmp_path)
    env = command_env(tmp_path / "data", GOVSHARE_STORE_URL=postgres_url)
    settings = Settings(secret=SECRET)  # signs tokens as both servers expect
    with serving(world.catalog_path, env, tmp_path, count=2) as (url_a, url_b), httpx.Client(timeout=10) as http:
        a, b = Api(http, url_a, settings), Api(http, url_b, settings)
        assert a.phone() is None and b.phone() is None

        body = a.as_authority(GRANT_ADD, {"input": phone_grant(OTHER, ["work_reference"])})
        grant_id = body["data"]["grantAdd"]["id"]
        assert a.phone() == PHONE  # the instance that made the change, at once
        wait_for(b.phone, PHONE)

        revoke = govshare("grant", "revoke", grant_id, "--reason", "ended", env=env, cwd=tmp_path)
        assert revoke.returncode == 0, revoke.stderr
        wait_for(lambda: (a.phone(), b.phone()), (None, None))
