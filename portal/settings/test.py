"""Test settings: the embedded default (``local``) with fast hashing and an in-memory outbox."""

from .local import *
from .local import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Each test starts from an empty cache; a real Redis is used where REDIS_URL is set.
CACHES["default"].setdefault("KEY_PREFIX", "test")
LOGGING_CONFIG = None

# The staff two-factor rule is tested by tests/portal/test_pages_accounts.py and the browser
# journeys, which switch it on; the admin tests of each capability log staff in directly.
STAFF_MFA_REQUIRED = False
# The open API writes its access log in the test's own thread and transaction.
API_ACCESS_LOG_ASYNC = False
