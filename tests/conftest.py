"""Root test configuration: the database service fixtures live in tests/services.py."""

pytest_plugins = ["tests.services"]
