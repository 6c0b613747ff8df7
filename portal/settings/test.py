"""Test settings: the embedded default (``local``) with fast hashing and an in-memory outbox.

Each pytest-xdist worker (``PYTEST_XDIST_WORKER``: gw0, gw1…; ``main`` without xdist) has its
own files under ``var/tests/<worker>/`` (the key epoch file, uploads, the file-system broker)
and its own cache key prefix (``test-<worker>``: with Redis the workers share one database),
so parallel workers never see each other's changes. pytest-django gives each worker its own
test database too.
"""

from .local import *
from .local import CACHES, CELERY_BROKER_URL, VAR_DIR, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
WORKER = env.str("PYTEST_XDIST_WORKER", default="main")
# Each test starts from an empty cache; a real Redis is used where REDIS_URL is set, shared by
# the workers, so each keeps to its own keys (tests/conftest.py clears only those).
CACHES["default"]["KEY_PREFIX"] = f"test-{WORKER}"
LOGGING_CONFIG = None

# The staff two-factor rule is tested by tests/portal/test_pages_accounts.py and the browser
# journeys, which switch it on; the admin tests of each capability log staff in directly.
STAFF_MFA_REQUIRED = False
# The open API writes its access log in the test's own thread and transaction.
API_ACCESS_LOG_ASYNC = False

# --------------------------------------------------------------------------------------
# Files: one folder per xdist worker (created by whoever writes there first)
# --------------------------------------------------------------------------------------
TEST_VAR_DIR = VAR_DIR / "tests" / WORKER
API_AUTH_EPOCH_FILE = str(TEST_VAR_DIR / "api-auth.epoch")
MEDIA_ROOT = TEST_VAR_DIR / "media"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(TEST_VAR_DIR / "broker" / "out"),
        "data_folder_out": str(TEST_VAR_DIR / "broker" / "out"),
        "processed_folder": str(TEST_VAR_DIR / "broker" / "processed"),
        "control_folder": str(TEST_VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
