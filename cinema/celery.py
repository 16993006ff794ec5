"""The Celery application.

Configuration comes from Django settings (``CELERY_*``); tasks are discovered in every
installed app's ``tasks.py``. Tasks take ids, re-read the database and call one service.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema.settings.base")

app = Celery("marquee")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
