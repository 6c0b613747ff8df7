"""Production: PostgreSQL, Redis, a real Celery broker, SMTP and HTTPS-only security headers.

Refuses to start, naming each missing environment variable, unless every one of
``PRODUCTION_REQUIRED`` is set; refuses a database that is not PostgreSQL and a switched-off
staff second factor.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import PRODUCTION_REQUIRED, STAFF_MFA_REQUIRED, STORAGES, env

# --------------------------------------------------------------------------------------
# Environment: refuse to start without the real services, naming what is missing
# --------------------------------------------------------------------------------------
missing = [name for name in PRODUCTION_REQUIRED if not env.str(name, default="")]
if missing:
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs these environment variables: " + ", ".join(missing)
    )
if not env.str("DATABASE_URL").startswith(("postgres://", "postgresql://", "pgsql://")):
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL in production")
if not STAFF_MFA_REQUIRED:
    raise ImproperlyConfigured("STAFF_MFA_REQUIRED cannot be switched off in production")

DJANGO_ENV = "production"
PRODUCTION = True
DEBUG = env.bool("DEBUG", default=False)

# --------------------------------------------------------------------------------------
# Database: PostgreSQL, persistent connections
# --------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

# --------------------------------------------------------------------------------------
# Static files: hashed and compressed, filled by collectstatic
# --------------------------------------------------------------------------------------
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --------------------------------------------------------------------------------------
# E-mail: SMTP (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER… in ``base``)
# --------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# --------------------------------------------------------------------------------------
# Security: HTTPS only behind the proxy, HSTS, secure cookies
# --------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
