"""Settings common to every environment of the Finance+N partner-ecosystem portal.

Everything is read from the environment (django-environ), with the defaults of the embedded
default. ``portal.settings`` picks ``local`` (the default) or ``production`` by ``DJANGO_ENV``;
both start from this module and set only what differs. Importing settings has no side effects:
the folders the embedded default writes to are created on start-up (``portal.apps``) or by the
code that writes there.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# The embedded default's files (database, broker, uploads, epoch file); created when needed.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# --------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------
# ``local`` and ``production`` set DJANGO_ENV, PRODUCTION, DEBUG and what differs between them.
# In production every one of these must be set; the refusal names what is missing.
PRODUCTION_REQUIRED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "ALLOWED_HOSTS",
    "SITE_URL",
)
# The local default key is only for the embedded default; production requires SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="local-insecure-key-do-not-use-in-production-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The site's address: every absolute link in an e-mail starts with it (``core.links``), never
# with the host a request happened to come through. Production requires it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# A form refused for its CSRF token answers the branded 403 with what to do.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"

# --------------------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "import_export",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    # ours
    "portal",
    "partners",
    "products",
    "scenarios",
    "revenue",
    "payouts",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Open API: access log, usage metering and JSON server errors for /api/v1/ only.
    "partners.api.middleware.ApiAccessMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff reach /admin/ only after a second factor (TOTP) at login.
    "portal.middleware.StaffMFARequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Failed-login lockouts (django-axes) answer its lockout page; see "Users and authentication".
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
            # Money and rates on every page, portal and console alike: ``{% load money %}``;
            # content in the user's language: ``{% load content %}`` (core/i18n.py).
            "libraries": {"money": "core.templatetags.money", "content": "core.templatetags.content"},
        },
    }
]

# --------------------------------------------------------------------------------------
# Database (``DATABASES`` itself: ``local`` and ``production``)
# --------------------------------------------------------------------------------------
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL in production: the app connects (DATABASE_URL) as a role that does not own the
# tables, so it cannot TRUNCATE them or switch their triggers off; ``migrate`` connects as the
# owner given here and then grants the app's role what it needs (docs/operations.md).
MIGRATION_DATABASE_URL = env.str("MIGRATION_DATABASE_URL", default="")

# --------------------------------------------------------------------------------------
# Cache (rate limits and metering counters live here too)
# --------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "portal"}}

# --------------------------------------------------------------------------------------
# Users and authentication
# --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every password, right or wrong, of a locked-out account or address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Finance+N] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Finance+N Portal"
# TOTP secrets and recovery-code seeds are encrypted at rest (portal.mfa).
MFA_ADAPTER = "portal.mfa.MFAAdapter"
# Mails carry the product's name and links on SITE_URL (portal.accounts_adapter).
ACCOUNT_ADAPTER = "portal.accounts_adapter.AccountAdapter"

# Failed logins (django-axes): after LOGIN_FAILURE_LIMIT failures for one account (e-mail) or
# from one client address, every password for it, right or wrong, is refused for
# LOGIN_LOCKOUT_MINUTES (each failure meanwhile starts the cool-off again). Counted in Redis
# when there is one, else in the database, so every web process shares them. allauth's own
# limits (ACCOUNT_RATE_LIMITS) apply on top. Unlock early: ``manage.py axes_reset_username``.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler" if REDIS_URL else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_USERNAME_CALLABLE = "portal.login_guard.login_name"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_DISABLE_ACCESS_LOG = True  # failures only; successful logins are not logged per row
AXES_RESET_ON_SUCCESS = False  # a right password between guesses does not wipe the count
AXES_VERBOSE = False

# --------------------------------------------------------------------------------------
# Internationalisation
# --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Amounts grouped by thousands in Chinese too (core/formats/zh_Hans).
FORMAT_MODULE_PATH = ["core.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------------------
# Static and uploaded files
# --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed, compressed files (``production``); WhiteNoise expects STATIC_ROOT,
# which ``portal.apps`` creates outside production (collectstatic fills it in production).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"

# --------------------------------------------------------------------------------------
# Backups (``manage.py backup`` / ``restore``, ``make backup`` / ``make restore``)
# --------------------------------------------------------------------------------------
BACKUP_DIR = env.path("BACKUP_DIR", default=VAR_DIR / "backups")
# The tables whose content a backup set's manifest checksums (every table's row count is in
# it too); a restore recomputes them and refuses to call a difference a success.
BACKUP_CHECKED_MODELS = {
    "ledger": ["revenue.Transaction"],
    "statements": ["revenue.Statement", "revenue.StatementLine", "revenue.StatementStatusChange"],
    "keys": ["partners.PartnerAPIKey", "partners.PartnerAPIKeyEvent"],
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=20 * 1024 * 1024)

# --------------------------------------------------------------------------------------
# E-mail (``EMAIL_BACKEND``: the console locally, SMTP in production)
# --------------------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Finance+N Portal <noreply@portal.local>")

# --------------------------------------------------------------------------------------
# Django REST framework and the OpenAPI schema
# --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Finance+N Open API",
    "DESCRIPTION": "API Bank for scenario-finance partners. Authenticate with `Authorization: Api-Key <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # A transaction's kind and a statement line's kind are different choice sets.
    "ENUM_NAME_OVERRIDES": {
        "TransactionKindEnum": "revenue.models.Transaction.Kind",
        "StatementLineKindEnum": "revenue.models.StatementLine.Kind",
        "DataPurposeEnum": "scenarios.models.DataPurpose",
    },
}

# --------------------------------------------------------------------------------------
# Celery
# --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
if CELERY_BROKER_URL == "filesystem://":
    # Embedded default: kombu's file-system transport, a real worker and beat, no server. The
    # folders are created on start-up (``portal.apps``); kombu does not create them.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "out"),
        "data_folder_out": str(VAR_DIR / "broker" / "out"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # The watchdog must not wait behind the settlement tasks it watches.
    "revenue.tasks.settlement_watchdog": {"queue": "default"},
    # The funnel's refresh is analytics: never behind a settlement.
    "revenue.tasks.funnel_sales_refresh": {"queue": "default"},
    "revenue.tasks.*": {"queue": "settlement"},
}
# Recovery after a worker dies. Settlement acknowledges a task after it is done (acks_late),
# so a killed worker's task goes back to the queue when the broker's visibility timeout ends
# (Redis and SQS-like transports; RabbitMQ redelivers when the connection drops). kombu's
# default is an hour; a task never runs longer than CELERY_TASK_TIME_LIMIT, so the timeout is
# that plus a margin: shorter would deliver a task still running a second time.
CELERY_VISIBILITY_MARGIN_SECONDS = env.int("CELERY_VISIBILITY_MARGIN_SECONDS", default=5 * 60)
if CELERY_BROKER_URL.split("://", 1)[0] in ("redis", "rediss", "sqs", "sentinel"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + CELERY_VISIBILITY_MARGIN_SECONDS,
    }
# The watchdog (beat ``revenue-settlement-watchdog``) resumes a settlement run that made no
# progress for this long, and ends as failed an import whose worker sent no heartbeat for this
# long. Safe when a worker is merely slow: a period is settled once whoever runs it.
SETTLEMENT_STALL_MINUTES = env.float("SETTLEMENT_STALL_MINUTES", default=10)
IMPORT_STALL_MINUTES = env.float("IMPORT_STALL_MINUTES", default=15)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Every periodic job, in one place. django-celery-beat copies these into the database on
# start, where staff can change times or pause them in the admin.
# Times are Asia/Shanghai (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "health-heartbeat": {
        "task": "portal.tasks.heartbeat",
        "schedule": crontab(minute="*/5"),
    },
    "partners-api-usage-flush": {
        "task": "partners.tasks.api_usage_flush",
        "schedule": timedelta(seconds=60),
    },
    "scenarios-offer-log-maintain": {
        "task": "scenarios.tasks.offer_log_maintain",
        "schedule": crontab(hour=3, minute=40),
    },
    "partners-webhook-retry-due": {
        "task": "partners.tasks.webhook_retry_due",
        "schedule": timedelta(seconds=60),
    },
    "partners-api-access-log-prune": {
        "task": "partners.tasks.api_access_log_prune",
        "schedule": crontab(hour=3, minute=20),
    },
    "partners-api-key-expiry-sweep": {
        "task": "partners.tasks.api_key_expiry_sweep",
        "schedule": crontab(hour=8, minute=0),
    },
    # Notifications chosen for the daily digest, before the working day.
    "partners-notification-digest": {
        "task": "partners.tasks.notification_digest_send",
        "schedule": crontab(hour=7, minute=30),
    },
    "partners-document-expiry-sweep": {
        "task": "partners.tasks.document_expiry_sweep",
        "schedule": crontab(hour=1, minute=10),
    },
    "console-rollup-recent": {
        "task": "portal.tasks.console_rollup_recent",
        "schedule": crontab(minute="*/10"),
    },
    "console-rollup-nightly": {
        "task": "portal.tasks.console_rollup_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    "console-risk-scan": {
        "task": "portal.tasks.risk_scan",
        "schedule": crontab(minute="5,35"),
    },
    # The funnel: fold newly received attributed transactions into the offer roll-ups.
    "revenue-funnel-sales-refresh": {
        "task": "revenue.tasks.funnel_sales_refresh",
        "schedule": crontab(minute="*/5"),
    },
    # Revenue: settle every period closed through yesterday (Asia/Shanghai).
    "revenue-settle": {
        "task": "revenue.tasks.settle",
        "schedule": crontab(hour=2, minute=0),
    },
    # Revenue: resume stalled settlement runs, end imports whose worker died.
    "revenue-settlement-watchdog": {
        "task": "revenue.tasks.settlement_watchdog",
        "schedule": crontab(minute="*/5"),
    },
}

# --------------------------------------------------------------------------------------
# Security headers (HTTPS, HSTS and secure cookies: ``production``)
# --------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --------------------------------------------------------------------------------------
# Logging: module loggers; JSON lines with LOG_FORMAT=json
# --------------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "text"}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# --------------------------------------------------------------------------------------
# Product settings
# --------------------------------------------------------------------------------------
API_KEY_DEFAULT_LIFETIME = timedelta(days=env.int("API_KEY_DEFAULT_LIFETIME_DAYS", default=365))
API_KEY_MAX_LIFETIME = timedelta(days=env.int("API_KEY_MAX_LIFETIME_DAYS", default=730))
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the documented demo password (README, Demo logins)

# Partners: KYB documents and team invitations
PARTNER_DOCUMENT_MAX_BYTES = env.int("PARTNER_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
PARTNER_DOCUMENT_EXPIRY_WARNING_DAYS = env.int("PARTNER_DOCUMENT_EXPIRY_WARNING_DAYS", default=30)
PARTNER_INVITATION_LIFETIME_DAYS = env.int("PARTNER_INVITATION_LIFETIME_DAYS", default=7)

# Open API: key rotation, rate limits, quotas, metering, access log, webhooks
API_KEY_ROTATION_OVERLAP = timedelta(hours=env.int("API_KEY_ROTATION_OVERLAP_HOURS", default=24))
API_KEY_MAX_ROTATION_OVERLAP = timedelta(days=7)
API_KEY_EXPIRY_WARNING_DAYS = env.int("API_KEY_EXPIRY_WARNING_DAYS", default=14)
# (calls, seconds) per key: a short burst window and a sustained one.
API_RATE_BURST = (env.int("API_RATE_BURST_CALLS", default=50), env.int("API_RATE_BURST_SECONDS", default=1))
API_RATE_SUSTAINED = (
    env.int("API_RATE_SUSTAINED_CALLS", default=20000),
    env.int("API_RATE_SUSTAINED_SECONDS", default=3600),
)
# (failures, seconds) per client address: refused API keys (unknown, wrong, revoked, expired,
# malformed) past this many in a fixed window answer 429 with Retry-After until it ends.
API_AUTH_FAILURE_LIMIT = (
    env.int("API_AUTH_FAILURE_LIMIT", default=30),
    env.int("API_AUTH_FAILURE_WINDOW_SECONDS", default=300),
)
# Calls per calendar month (Asia/Shanghai) per partner tier; None: no quota.
API_MONTHLY_QUOTA: dict[str, int | None] = {
    "standard": env.int("API_QUOTA_STANDARD", default=1_000_000),
    "silver": env.int("API_QUOTA_SILVER", default=5_000_000),
    "gold": env.int("API_QUOTA_GOLD", default=20_000_000),
    "strategic": None,
}
API_METERING_FLUSH_SECONDS = env.int("API_METERING_FLUSH_SECONDS", default=30)
API_ACCESS_LOG_BATCH = env.int("API_ACCESS_LOG_BATCH", default=200)
API_ACCESS_LOG_FLUSH_SECONDS = env.int("API_ACCESS_LOG_FLUSH_SECONDS", default=5)
# Write the access log from a background thread of each web process (off in tests).
API_ACCESS_LOG_ASYNC = env.bool("API_ACCESS_LOG_ASYNC", default=True)
# Embedded default only (no Redis): the file whose replacement tells every local process that
# cached API key and partner verifications changed (see core.epoch and partners.keycache).
API_AUTH_EPOCH_FILE = env.str("API_AUTH_EPOCH_FILE", default=str(VAR_DIR / "api-auth.epoch"))
API_ACCESS_LOG_RETENTION_DAYS = env.int("API_ACCESS_LOG_RETENTION_DAYS", default=183)
# One deadline for the whole of a delivery: resolve, connect, TLS, send, status and headers.
WEBHOOK_DELIVERY_DEADLINE_SECONDS = env.float("WEBHOOK_DELIVERY_DEADLINE_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
# Failed attempts in a row (any delivery) after which an endpoint's team is told it is failing,
# and after which the endpoint is switched off (the team switches it on again once fixed).
WEBHOOK_FAILURE_NOTIFY_AFTER = env.int("WEBHOOK_FAILURE_NOTIFY_AFTER", default=5)
WEBHOOK_AUTO_DISABLE_AFTER = env.int("WEBHOOK_AUTO_DISABLE_AFTER", default=20)
WEBHOOK_SECRET_OVERLAP = timedelta(hours=env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24))
# The ports a partner's endpoint may use (HTTPS on 443 unless the bank opens more).
WEBHOOK_ALLOWED_PORTS = env.list("WEBHOOK_ALLOWED_PORTS", cast=int, default=[443])
# Test events ("Send test event") a partner may send per rolling hour: per endpoint, per partner.
WEBHOOK_TEST_EVENTS_PER_ENDPOINT_HOURLY = env.int("WEBHOOK_TEST_EVENTS_PER_ENDPOINT_HOURLY", default=5)
WEBHOOK_TEST_EVENTS_PER_PARTNER_HOURLY = env.int("WEBHOOK_TEST_EVENTS_PER_PARTNER_HOURLY", default=20)
# Only tests relax the SSRF guard: to reach a local server on 127.0.0.1 or ::1 over plain HTTP.
WEBHOOK_ALLOW_LOOPBACK = False

# Partner portal: accounts and two-factor authentication (allauth)
# Staff need an authenticator app (TOTP) and must pass it at login to reach the admin.
# Production refuses to start with it switched off.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)
# Staff set up their authenticator only through a one-time enrolment link (portal.enrolment),
# valid this many hours; the password alone never shows them a TOTP secret.
STAFF_ENROLMENT_LINK_HOURS = env.int("STAFF_ENROLMENT_LINK_HOURS", default=72)
# allauth's rate limits count in the default cache (Redis in production, so every web worker
# shares them): "<count>/<period><unit>" per IP, per key (e-mail) or per user.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_RECOVERY_CODE_COUNT = 10
ACCOUNT_EMAIL_NOTIFICATIONS = True

# Revenue sharing: customer references, settlement
# The key of the customer-reference HMAC (pseudonymous ids). Changing it changes every new
# reference: keep it stable; it defaults to one derived from SECRET_KEY.
REVENUE_CUSTOMER_REF_KEY = env.str("REVENUE_CUSTOMER_REF_KEY", default="") or f"customer-ref:{SECRET_KEY}"
# How far in the future a reported occurred_at may be (partners' clocks drift).
REVENUE_CLOCK_SKEW = timedelta(minutes=env.int("REVENUE_CLOCK_SKEW_MINUTES", default=10))
REVENUE_SETTLEMENT_QUEUE = env.str("REVENUE_SETTLEMENT_QUEUE", default="settlement")
REVENUE_IMPORT_MAX_ROWS = env.int("REVENUE_IMPORT_MAX_ROWS", default=500_000)

# Offers and the offer log
# An offer's offer_id may be followed (taken) until expires_at: this many minutes after the quote.
OFFER_VALIDITY_MINUTES = env.int("OFFER_VALIDITY_MINUTES", default=30)
# A sale may name an offer (offer_id) of the same partner and product quoted at most this many
# days before its occurred_at (and not after it, beyond REVENUE_CLOCK_SKEW).
OFFER_ATTRIBUTION_DAYS = env.int("OFFER_ATTRIBUTION_DAYS", default=30)
# Offer-log rows wait in each web process until this many are buffered or
# API_ACCESS_LOG_FLUSH_SECONDS pass; at most OFFER_LOG_BUFFER_MAX are kept while the database
# refuses them.
OFFER_LOG_BATCH = env.int("OFFER_LOG_BATCH", default=1000)
OFFER_LOG_BUFFER_MAX = env.int("OFFER_LOG_BUFFER_MAX", default=100_000)
# Offer-log rows are kept at least this many days; on PostgreSQL whole monthly partitions are
# dropped once every row in them is older (beat "scenarios-offer-log-maintain", daily).
OFFER_LOG_RETENTION_DAYS = env.int("OFFER_LOG_RETENTION_DAYS", default=400)
# PostgreSQL: monthly partitions created ahead of time, counting the current month.
OFFER_LOG_PARTITIONS_AHEAD = env.int("OFFER_LOG_PARTITIONS_AHEAD", default=3)
# What one reward point costs a campaign, in yuan (a string: read as a Decimal). Points are
# granted against a campaign's budget (and its count cap) at this value; 0 makes points cost
# nothing: they are then not granted against any budget.
REWARD_POINT_VALUE = env.str("REWARD_POINT_VALUE", default="0.01")

# The funnel (scenarios.OfferFunnelDaily): the sales refresh (beat, every 5 minutes) also
# rereads transactions received this many seconds before its mark, for rows committed late.
FUNNEL_REFRESH_OVERLAP_SECONDS = env.int("FUNNEL_REFRESH_OVERLAP_SECONDS", default=600)

# Staff console: analytics roll-ups and risk rules
CONSOLE_ROLLUP_RECENT_DAYS = env.int("CONSOLE_ROLLUP_RECENT_DAYS", default=3)
CONSOLE_ROLLUP_NIGHTLY_DAYS = env.int("CONSOLE_ROLLUP_NIGHTLY_DAYS", default=400)
RISK_VELOCITY_BASELINE_DAYS = env.int("RISK_VELOCITY_BASELINE_DAYS", default=28)
RISK_VELOCITY_MULTIPLIER = env.int("RISK_VELOCITY_MULTIPLIER", default=3)
RISK_VELOCITY_MIN_TRANSACTIONS = env.int("RISK_VELOCITY_MIN_TRANSACTIONS", default=20)
RISK_REPEATED_AMOUNT_MIN = env.int("RISK_REPEATED_AMOUNT_MIN", default=3)
RISK_REFUND_RATIO = env.str("RISK_REFUND_RATIO", default="0.30")
RISK_REFUND_MIN_SALES = env.int("RISK_REFUND_MIN_SALES", default=5)
# Night hours [start, end) in Asia/Shanghai, and how many transactions in them make a burst.
RISK_NIGHT_HOURS = (env.int("RISK_NIGHT_START_HOUR", default=0), env.int("RISK_NIGHT_END_HOUR", default=6))
RISK_OUT_OF_HOURS_MIN = env.int("RISK_OUT_OF_HOURS_MIN", default=10)

# --------------------------------------------------------------------------------------
# Files and headers: exports, KYB documents, Content-Security-Policy
# --------------------------------------------------------------------------------------
# Every CSV/XLSX goes through core.exports (formula-like text quoted, amounts numeric). The
# import/export admin's own escaping stays off: it strips only a leading "=" and turns every
# cell into text; core.exports.EscapedExportResource does it right.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# A control character in a partner's name gives a replacement character in XLSX, not a failure.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

# Content-Security-Policy (django-csp). Scripts run only from our own origin or with the
# request's nonce (no inline handlers, no eval); <style> elements likewise. Style attributes
# are allowed: the admin's widgets, allauth and pygal's charts set a few, and they cannot run
# code. Pages that need more say so on the view (the API docs: portal/api.py).
# {{ request.csp_nonce }} in a template gives the nonce; using it adds it to the header.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware"
)
CSP_REPORT_URI = env.str("CSP_REPORT_URI", default="")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # plus the one inline handler of import-export's export page ("Select all")
        "script-src": [SELF, NONCE, UNSAFE_HASHES, "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"report-uri": [CSP_REPORT_URI]} if CSP_REPORT_URI else {}),
    },
}

# Payouts (docs/payouts.md): partner tiers for which the bank waives VAT invoices.
PAYOUT_INVOICE_WAIVED_TIERS = tuple(env.list("PAYOUT_INVOICE_WAIVED_TIERS", default=[]))

# Payouts — reconcile (docs/payouts.md "Reconciliation"): the largest bank statement file
# accepted (camt.053 XML or CSV); the remittance advice PDF's CJK font (empty: look for Noto CJK).
BANK_STATEMENT_MAX_BYTES = env.int("BANK_STATEMENT_MAX_BYTES", default=10 * 1024 * 1024)
REMITTANCE_CJK_FONT = env.str("REMITTANCE_CJK_FONT", default="")
# Payout batches (batches; docs/payouts.md "Payout batches and files"): the bank's own account
# that pays partners, the debtor of every pain.001 file. Chinese accounts are not IBANs: the
# account number goes in Othr/Id; the branch's 12-digit CNAPS code identifies the debtor agent
# (ClrSysMmbId), the BIC too when given.
PAYOUT_DEBTOR_NAME = env.str("PAYOUT_DEBTOR_NAME", default="Finance+N Bank")
PAYOUT_DEBTOR_ACCOUNT = env.str("PAYOUT_DEBTOR_ACCOUNT", default="110000000000000001")
PAYOUT_DEBTOR_BANK_BIC = env.str("PAYOUT_DEBTOR_BANK_BIC", default="")
PAYOUT_DEBTOR_BANK_CNAPS = env.str("PAYOUT_DEBTOR_BANK_CNAPS", default="")
# Payouts, payee accounts and VAT invoices (payee; docs/payouts.md): a verified new or changed
# payee account pays only this many hours after its verification; the largest invoice file.
PAYEE_CHANGE_COOLING_HOURS = env.int("PAYEE_CHANGE_COOLING_HOURS", default=24)
PAYOUT_INVOICE_MAX_BYTES = env.int("PAYOUT_INVOICE_MAX_BYTES", default=10 * 1024 * 1024)
# Operations (ops; docs/operations.md). ``settle`` (without --inline) asks the workers for this
# long whether one consumes the settlement queue before it starts, and fails naming the queue
# when none answers; each question waits WORKER_INSPECT_TIMEOUT seconds for the answers.
SETTLE_WORKER_CHECK_SECONDS = env.float("SETTLE_WORKER_CHECK_SECONDS", default=10)
WORKER_INSPECT_TIMEOUT = env.float("WORKER_INSPECT_TIMEOUT", default=1.0)
# GET /readyz: its answer is kept this long (a load balancer polling every host every few
# seconds must not flood the broker with broadcasts); beat is stale when no periodic task was
# sent for READYZ_BEAT_STALE_MINUTES; settlement is behind when a running run has finished no
# period for READYZ_SETTLEMENT_IDLE_MINUTES.
READYZ_CACHE_SECONDS = env.float("READYZ_CACHE_SECONDS", default=5)
READYZ_QUEUES = tuple(env.list("READYZ_QUEUES", default=["default", REVENUE_SETTLEMENT_QUEUE]))
READYZ_BEAT_STALE_MINUTES = env.float("READYZ_BEAT_STALE_MINUTES", default=10)
READYZ_SETTLEMENT_IDLE_MINUTES = env.float("READYZ_SETTLEMENT_IDLE_MINUTES", default=10)
# Sandbox keys, limits and webhooks (sbxkeys, docs/sandbox.md): a partner's usable sandbox keys
# at most; their own, smaller rate limits (calls, seconds per key) and monthly quota (calls per
# partner, whatever the tier), counted apart from the live ones so the sandbox never uses them up.
API_SANDBOX_KEYS_MAX = env.int("API_SANDBOX_KEYS_MAX", default=5)
API_SANDBOX_RATE_BURST = (
    env.int("API_SANDBOX_RATE_BURST_CALLS", default=10),
    env.int("API_SANDBOX_RATE_BURST_SECONDS", default=1),
)
API_SANDBOX_RATE_SUSTAINED = (
    env.int("API_SANDBOX_RATE_SUSTAINED_CALLS", default=2000),
    env.int("API_SANDBOX_RATE_SUSTAINED_SECONDS", default=3600),
)
API_SANDBOX_MONTHLY_QUOTA = env.int("API_SANDBOX_MONTHLY_QUOTA", default=100_000)
# Sandbox data (sbxdata, docs/sandbox.md "Sandbox data"): sandbox rows older than this are
# purged daily; the simulated settlement's share when no draft or sent agreement has terms.
SANDBOX_RETENTION_DAYS = env.int("SANDBOX_RETENTION_DAYS", default=30)
SANDBOX_DEFAULT_SHARE_PERCENT = env.str("SANDBOX_DEFAULT_SHARE_PERCENT", default="1.00")  # a Decimal string
CELERY_BEAT_SCHEDULE["revenue-sandbox-purge"] = {
    "task": "revenue.tasks.sandbox_purge",
    "schedule": crontab(hour=4, minute=10),
}
# --------------------------------------------------------------------------------------
# API lifecycle (docs/api-lifecycle.md): the API's version, its deprecations and notices
# --------------------------------------------------------------------------------------
# The open API's own version (semver): the schema's ``info.version``; it must equal the newest
# entry of docs/api-changelog.yaml (a test holds them together).
API_VERSION = "1.6.0"
SPECTACULAR_SETTINGS["VERSION"] = API_VERSION
# The changelog shown at /portal/changelog/ (docs/api-lifecycle.md describes its format).
API_CHANGELOG_PATH = BASE_DIR / "docs" / "api-changelog.yaml"
# Routes and fields marked deprecated: each a dict with ``code`` (stable id), ``route`` (the v1
# URL name), ``method``, optionally ``field`` (a dotted path, ``*`` for list items) and ``in``
# (``request`` or ``response``), ``deprecated`` and ``sunset`` (dates, Beijing midnight) and
# ``replacement`` (what to use instead). See partners/deprecations.py.
API_DEPRECATIONS: list[dict] = []
# Partners whose keys used a deprecation within this many days are told about it (once).
API_DEPRECATION_NOTICE_DAYS = env.int("API_DEPRECATION_NOTICE_DAYS", default=30)
CELERY_BEAT_SCHEDULE["partners-api-deprecation-notices"] = {
    "task": "partners.tasks.api_deprecation_notices_send",
    "schedule": crontab(hour=9, minute=0),
}
