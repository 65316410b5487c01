"""The peer benchmark: govshare against a bare Starlette + asyncpg floor and PostGraphile (python -m bench.peers)."""
