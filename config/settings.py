"""Django settings, read from the environment (see .env.example).

Every value a deployment changes comes from an environment variable; a
missing or malformed one stops start-up with ImproperlyConfigured naming it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.envnumbers import usable_cpus, whole_number

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}: expected true/false, got {raw!r}")


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    try:
        return whole_number(name, default, minimum=minimum)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def _int_list(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}: expected whole numbers separated by commas, got {raw!r}"
        ) from None


DEBUG = _bool("DEBUG", False)
import sys  # noqa: E402

TESTING = "pytest" in sys.modules or _bool("JINQIAO_TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured(
            "SECRET_KEY: must be set when DEBUG is off (see .env.example)"
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"

BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost").strip().lower()
# Port of the development web server; e-mailed links carry it under DEBUG.
PORT = _int("PORT", 8000, minimum=1)
# The web server's port in e-mailed links: honcho gives every process of
# `make run` its own PORT, so the workers read the web's from WEB_PORT.
WEB_PORT = _int("WEB_PORT", PORT, minimum=1)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1", "testserver"],
)


# --- Database -------------------------------------------------------------


def _database() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise ImproperlyConfigured(
            "DATABASE_URL: not set (make run and make test start an embedded "
            "PostgreSQL for you)"
        )
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql", "postgis"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL: expected postgresql://user@host:port/name, got a "
            f"'{parts.scheme or 'no'}' scheme"
        )
    try:
        config = env.db_url_config(url)
    except Exception as exc:  # noqa: BLE001 - django-environ raises many kinds
        raise ImproperlyConfigured(f"DATABASE_URL: malformed ({exc})") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL: names no database")
    config["ENGINE"] = "tenants.postgresql_backend"
    config["CONN_MAX_AGE"] = _int("DB_CONN_MAX_AGE", 60)
    # Off by default: a check costs every request a round trip (SELECT 1).
    # Without it a connection the server dropped fails one request, and
    # Django then replaces it (it closes connections that saw errors).
    config["CONN_HEALTH_CHECKS"] = _bool("DB_CONN_HEALTH_CHECKS", False)
    config.setdefault("TEST", {})["NAME"] = f"test_{config['NAME']}"
    if _bool("DB_PREPARED_STATEMENTS", True):
        # The statements core.prepared prepares are written to plan well
        # without their values (index lookups whatever they are): run them on
        # one generic plan rather than planning them again on every call, as
        # PostgreSQL chooses to for the API's context read. Only explicitly
        # prepared statements (and trigger lookups) have cached plans.
        options = config.setdefault("OPTIONS", {})
        given = options.get("options", "")
        options["options"] = f"{given} -c plan_cache_mode=force_generic_plan".strip()
    return config


DATABASES = {"default": _database()}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Tenancy --------------------------------------------------------------
# Decided once (ADR 0001): an app never moves between these lists.

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "core.policy",
    "onboarding",
    "billing",
    "apiv1.keys",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "frontend",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.sessions",
    "core.audit",
    "core.products",
    "core.borrowers",
    "core.ledger",
    "core.loans",
    "core.close",
    "core.risk",
    "core.reporting",
    "apiv1",
]
INSTALLED_APPS = SHARED_APPS + [a for a in TENANT_APPS if a not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
# SET search_path only when the connection's path is not the tenant's
# already (tenants.postgresql_backend keeps it across requests; a rollback,
# a savepoint rollback or a new connection forgets it). Tests run the same.
TENANT_LIMIT_SET_CALLS = True
GET_EXECUTOR_FUNCTION = "tenants.migration.get_executor"
TENANT_SPARE_POOL_SIZE = _int("TENANT_SPARE_POOL_SIZE", 3)
# The instant decision's statements are prepared on the server (core.prepared)
# and run on generic plans (a connection option); turn off behind a pooler
# that mixes sessions (PgBouncer transaction mode) or rejects options.
DB_PREPARED_STATEMENTS = _bool("DB_PREPARED_STATEMENTS", True)
# Each web process stores its API usage counts from a thread (apiv1.metering);
# tests read them through the flushing readers instead.
API_USAGE_FLUSH_THREAD = not TESTING

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "config.middleware.HealthMiddleware",
    # Before tenant routing reads the host: an API path's 400 as JSON.
    "apiv1.errors.BadRequestMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # BROWSER_MIDDLEWARE for every path but the API's, which serves no
    # static file, page or translated text, redirects no slash, and
    # authenticates by key with no session, cookie or message.
    "config.middleware.BrowserMiddleware",
    # Meters an API call in the lender's schema the key selected.
    "apiv1.metering.ApiUsageMiddleware",
    # Innermost: a 405 from the API in the one error shape.
    "apiv1.errors.MethodNotAllowedMiddleware",
]
BROWSER_MIDDLEWARE = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Cache (keys carry the tenant schema) ---------------------------------

_cache_url = os.environ.get("CACHE_URL", "")
if _cache_url:
    try:
        CACHES = {"default": env.cache_url_config(_cache_url)}
    except Exception as exc:  # noqa: BLE001 - django-environ raises many kinds
        raise ImproperlyConfigured(f"CACHE_URL: malformed ({exc})") from None
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["default"]["BACKEND"] = "config.cache.KeptRedisCache"
        # Short socket timeouts: a Redis that hangs rather than refuses must
        # not hold each API call (its rate limit) or sign-in for seconds.
        # CACHE_URL's query string may set others.
        _cache_options = CACHES["default"].setdefault("OPTIONS", {})
        _cache_options.setdefault("socket_connect_timeout", 0.5)
        _cache_options.setdefault("socket_timeout", 0.5)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if TESTING:
    # Test runs on one machine may share a Redis: each counts its own
    # sign-in failures and rate limits (keyed by its database's name).
    CACHES["default"]["KEY_PREFIX"] = f"test-{DATABASES['default'].get('NAME', '')}"
CACHES["default"]["KEY_FUNCTION"] = "django_tenants.cache.make_key"
CACHES["default"]["REVERSE_KEY_FUNCTION"] = "django_tenants.cache.reverse_key"

# --- Security -------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = _int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Personal data: Fernet keys, newest first (comma separated), and the key of
# the blind index used to find a borrower by ID number, phone or bank card.
PII_ENCRYPTION_KEYS = env.list("PII_ENCRYPTION_KEYS", default=[])
PII_BLIND_INDEX_KEY = os.environ.get("PII_BLIND_INDEX_KEY", "")
if TESTING and not PII_ENCRYPTION_KEYS:
    # Fixed keys for tests only: never valid outside a test run.
    PII_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTAwMDA="]
    PII_BLIND_INDEX_KEY = "dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0wMDAwMDA="
if PII_ENCRYPTION_KEYS or PII_BLIND_INDEX_KEY:
    from core.pii.crypto import Keyring, KeyringConfigurationError

    try:
        Keyring(PII_ENCRYPTION_KEYS, PII_BLIND_INDEX_KEY)
    except KeyringConfigurationError as exc:
        raise ImproperlyConfigured(str(exc)) from None
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not DEBUG and not TESTING and not (PII_ENCRYPTION_KEYS and PII_BLIND_INDEX_KEY):
    raise ImproperlyConfigured(
        "PII_ENCRYPTION_KEYS: PII_ENCRYPTION_KEYS and PII_BLIND_INDEX_KEY must be "
        "set when DEBUG is off (see .env.example)"
    )

# --- Internationalisation -------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Uploaded documents live outside the web root and are never served directly.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@jinqiao.local")

# --- Celery ---------------------------------------------------------------

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or "memory://"
if TESTING:
    CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(os.environ.get("CELERY_BROKER_DIR", BASE_DIR / ".data/broker"))
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu looks for new messages once a second by default: every task
        # (a batch, a webhook) would wait up to that long.
        "polling_interval": 0.05,
    }
    # Messages written atomically (config.fsbroker: kombu's own transport
    # lets a worker read a half-written message and stop).
    CELERY_BROKER_TRANSPORT = "config.fsbroker:Transport"
CELERY_TASK_ACKS_LATE = True
# Keep our LOGGING (JSON, tenant and request id, personal data masked) in
# the worker and beat instead of Celery's own root-logger set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Worker processes: one per CPU this process may run on. bench-api's
# batches on 2 CPUs, warm, interleaved: 1,581-1,696 decisions/s with 2
# processes, 1,376-1,594 with 3 (no faster with 4 at an earlier stop).
CELERY_WORKER_CONCURRENCY = _int("WORKER_CONCURRENCY", usable_cpus(), minimum=1)
CELERY_TASK_IGNORE_RESULT = True
# Webhook deliveries (and their retries) wait in a queue of their own: a
# worker takes from each queue in turn, so thousands of retries to a dead
# endpoint cannot hold up a batch decision or a lender's provisioning. A
# worker consumes both unless started with -Q (one per queue scales them
# apart).
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Each queue bound by its own routing key (a queue declared without one gets
# the default's, and would receive every default message as well).
CELERY_TASK_QUEUES = (
    Queue("celery", routing_key="celery"),
    Queue("webhooks", routing_key="webhooks"),
)
CELERY_TASK_ROUTES = {
    "apiv1.tasks.outbox_dispatch": {"queue": "webhooks", "routing_key": "webhooks"},
    "apiv1.tasks.webhook_deliver": {"queue": "webhooks", "routing_key": "webhooks"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "refill-spare-schemas": {
        "task": "tenants.tasks.spare_pool_refill",
        "schedule": 60.0,
    },
    # Re-queues approvals whose provisioning message was lost (idempotent).
    "onboarding-provisioning-sweep": {
        "task": "onboarding.tasks.provisioning_sweep",
        "schedule": 300.0,
    },
    # The daily close of every lender, shortly after midnight (Asia/Shanghai);
    # keyed by business date, so a rerun or a late run posts nothing twice.
    "daily-close": {
        "task": "core.close.tasks.close_run_all",
        "schedule": crontab(hour=0, minute=30),
    },
    "apiv1-batches-resume": {
        "task": "apiv1.tasks.application_batches_resume_all",
        "schedule": 300.0,
    },
    "apiv1-outbox-sweep": {
        "task": "apiv1.tasks.outbox_sweep_all",
        "schedule": 60.0,
    },
    "apiv1-idempotency-purge": {
        "task": "apiv1.tasks.idempotency_purge_all",
        "schedule": 3600.0,
    },
    "expire-stale-applications": {
        "task": "core.risk.tasks.applications_expire_all",
        "schedule": 3600.0,
    },
}

# --- Billing (docs/adr/0007-billing.md) -----------------------------------
# No STRIPE_SECRET_KEY: every subscription bills offline (bank transfer).

STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
BILLING_STRIPE_COLLECTION = os.environ.get("BILLING_STRIPE_COLLECTION", "send_invoice")
if BILLING_STRIPE_COLLECTION not in {"send_invoice", "charge_automatically"}:
    raise ImproperlyConfigured(
        "BILLING_STRIPE_COLLECTION: expected send_invoice or charge_automatically"
    )
BILLING_DEFAULT_PLAN = os.environ.get("BILLING_DEFAULT_PLAN", "standard")
BILLING_DAYS_UNTIL_DUE = _int("BILLING_DAYS_UNTIL_DUE", 30)
BILLING_RENEWAL_REMINDER_DAYS = _int("BILLING_RENEWAL_REMINDER_DAYS", 30)
BILLING_OVERDUE_REMINDER_DAYS = _int_list("BILLING_OVERDUE_REMINDER_DAYS", [1, 7, 14])
BILLING_GRACE_DAYS = _int("BILLING_GRACE_DAYS", 14)
BILLING_SELLER_NAME = os.environ.get("BILLING_SELLER_NAME", "金桥 Jinqiao")
BILLING_BANK_ACCOUNT = os.environ.get(
    "BILLING_BANK_ACCOUNT", "(set BILLING_BANK_ACCOUNT)"
)
# Webhooks may go to loopback, private or plain-http URLs only where this
# is on (a developer's own receiver); never in production.
WEBHOOK_ALLOW_PRIVATE_URLS = _bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
# Absolute URL of a lender's host in e-mails; {host} is <slug>.BASE_DOMAIN.
BILLING_TENANT_URL = os.environ.get("BILLING_TENANT_URL", "")
CELERY_BEAT_SCHEDULE |= {
    "billing-dunning-daily": {
        "task": "billing.tasks.dunning_daily",
        "schedule": 24 * 3600.0,
    },
    "billing-usage-meter": {
        "task": "billing.tasks.usage_meter",
        "schedule": 3600.0,
    },
}

# --- Observability --------------------------------------------------------

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT: expected text or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "config.logging.ContextFilter"},
        "pii": {"()": "config.logging.PersonalDataFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s [%(tenant)s %(request_id)s] "
            "%(name)s: %(message)s"
        },
        "json": {
            "()": "config.logging.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(tenant)s "
            "%(request_id)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "pii"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults give these loggers handlers of their own, without
        # the personal-data filter (with DEBUG on, "Not Found: <path>" came
        # out in clear beside the masked line): they go to the root's.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.observability import sentry_init

    sentry_init(SENTRY_DSN, environment=os.environ.get("SENTRY_ENVIRONMENT", ""))
