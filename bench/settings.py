"""Settings for `make bench`: the production settings, read from the environment, with two overrides.

Static files are collected into bench/work/ (not the project's staticfiles/), and ``BENCH_CACHE=off``
swaps the cache for Django's dummy cache, so the same code can be measured with nothing cached.
"""

import os
from pathlib import Path

from eventsite.settings import *  # noqa: F403

WORK = Path(__file__).resolve().parent / "work"
STATIC_ROOT = WORK / "staticfiles"
DJANGO_MEDIA_ROOT = MEDIA_ROOT = WORK / "media"

if os.environ.get("BENCH_CACHE") == "off":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

# Request logs would cost the servers time that is not the site's; warnings and errors still show.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"celery": {"level": "INFO"}},
}
