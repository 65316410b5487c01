"""Root test configuration: database services (tests/services.py) and the Testville world
(tests/testville.py) are fixtures for every test folder."""

pytest_plugins = ["tests.services", "tests.testville"]
