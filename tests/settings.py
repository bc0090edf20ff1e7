"""Test settings: the production settings module with test-only secrets and fast hashing.

DATABASE_URL picks the database (the Makefile runs the suite on PostgreSQL and on SQLite).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
# The unit layer runs on SQLite with tasks in-process, which production refuses (eventsite/settings.py).
os.environ.setdefault("DJANGO_TEST_SUITE", "true")

from eventsite.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Updated invites go out as soon as an edit commits; the tests of coalescing set a delay and run the sweep.
INVITE_REFRESH_DELAY = 0
