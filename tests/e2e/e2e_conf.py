"""Constants shared by the e2e tests (importable; conftest modules are not)."""

TOKEN = "xoxb-test-0123456789-SECRETTOKEN"
SECRET = "signing-secret-for-tests"
