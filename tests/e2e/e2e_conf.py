"""Constants shared by the e2e tests (importable; conftest modules are not)."""

TOKEN = "xoxb-test-0123456789-SECRETTOKEN"
SECRET = "signing-secret-for-tests"
#: BRIEFBOT_TOKEN_KEY of the OAuth tests (a Fernet key made for them).
TOKEN_KEY = "HtSzSTE_Ht8re8I-Jaj5PV-NMZ3DPeFlzsmbs44CZNY="
