"""Request ids name one exchange in both platforms' audit logs (cascade): no two requests may share
one, whether they are answered by one process, by a worker forked from it, or by another server."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from govshare.connectors.exchange import new_request_id

FORM = re.compile(r"[0-9a-f]{32}")


def test_a_process_never_repeats_a_request_id() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert all(FORM.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_worker_draws_ids_of_its_own() -> None:
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: its first ids, then gone whatever happened (never back into pytest)
        code = 1
        try:
            os.write(write, " ".join(new_request_id() for _ in range(3)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        theirs = pipe.read().split()
    ours = [new_request_id() for _ in range(3)]
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(theirs) == 3 and all(FORM.fullmatch(i) for i in theirs)
    assert not set(theirs) & set(ours)
    assert {i[:16] for i in theirs}.isdisjoint({i[:16] for i in ours})


def test_two_servers_started_alike_draw_different_ids() -> None:
    code = "from govshare.connectors.exchange import new_request_id; print(new_request_id())"
    firsts = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
              for _ in range(2)}  # fmt: skip
    assert len(firsts) == 2 and all(FORM.fullmatch(i) for i in firsts)
