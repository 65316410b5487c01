"""Gateway tests use the Testville fixtures of tests/testville.py (loaded by the root conftest)."""
