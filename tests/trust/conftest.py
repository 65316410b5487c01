from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.trust.demo import Demo, serve_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    # A small daily quota, so that the quota test reaches it; every other verify grant stays below it.
    yield from serve_demo(
        tmp_path_factory.mktemp("trust-world"),
        tmp_path_factory.mktemp("trust-platform"),
        verify_checks_per_day=8,
        export_batch=30,  # exports of several statements
    )
