"""WSGI entry point (gunicorn sync workers; see STACK_NOTES on ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

from config.startup import GUNICORN_BOOT_ERROR, exit_on_bad_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
with exit_on_bad_settings(GUNICORN_BOOT_ERROR):
    application = get_wsgi_application()
