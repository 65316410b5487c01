"""What a replay of a recorded operation reports: decisions then and now, and whether the result reproduces.

It never carries the data itself (see gateway.replay, which makes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class DecisionChange:
    resource: str
    item: str
    then: str
    now: str


@dataclass(slots=True)
class ReplayReport:
    seq: int
    policy_version_then: int | None
    policy_version_now: int
    decisions_then: list[list[str]]
    decisions_now: list[list[str]]
    recorded_result: str | None
    recorded_key_id: str | None  # None: a legacy record, its digest a plain SHA-256
    # Digests of the answers now, under the record's key (a legacy record's: under the current key)
    result_key_id: str
    result_then: str | None
    result_now: str | None
    # The recorded digest comes out again under the recorded policy (the data did not change)
    reproduced: bool
    changed: list[DecisionChange] = field(default_factory=list)
