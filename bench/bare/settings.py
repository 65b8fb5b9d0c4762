"""Settings of the bare calibration project (bench/bare): startproject's
defaults, PostgreSQL from BARE_DATABASE_URL, connections kept for
BARE_CONN_MAX_AGE seconds (Django's default, 0, opens one per request)."""

import os
from urllib.parse import parse_qs, urlsplit

_url = urlsplit(os.environ["BARE_DATABASE_URL"])

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-bare-only")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "bench.bare",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.bare.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "postgres",
        "PASSWORD": _url.password or "",
        # The embedded server names its socket directory as ?host=/path.
        "HOST": parse_qs(_url.query).get("host", [_url.hostname or "127.0.0.1"])[0],
        "PORT": str(_url.port or 5432),
        "CONN_MAX_AGE": int(os.environ.get("BARE_CONN_MAX_AGE", "0")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"
