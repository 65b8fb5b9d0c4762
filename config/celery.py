"""The Celery app: tasks carry the tenant schema in their headers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp

from config.context import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

if Path(sys.argv[0]).name == "celery":
    # Load the settings now, so a bad one stops the worker or beat with one
    # line naming it instead of a traceback from deep inside Celery.
    from django.conf import settings

    from config.startup import exit_on_bad_settings

    with exit_on_bad_settings():
        settings.INSTALLED_APPS  # noqa: B018 - evaluated for its side effect

app = CeleryApp("jinqiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["config"])


@task_prerun.connect
def _stamp_request_id(task_id=None, **kwargs) -> None:
    """Log records of a task carry its id where a request's would be."""
    request_id.set(f"task-{task_id}")


@task_postrun.connect
def _clear_request_id(**kwargs) -> None:
    request_id.set("-")
