"""Settings for the workshop site, read from the environment.

With nothing set but ``DJANGO_DEBUG=true`` the site runs embedded: SQLite,
tasks run in-process, email printed to the console. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and a Celery worker on Redis. With
``DJANGO_DEBUG`` off (the default) the site is in production mode and
refuses to start without the secrets it needs.
"""

import os
import re
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (made by `make run`) fills in what the real environment leaves unset.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)


# A host entry that names its port: "example.org:8443" or "[::1]:8000" (Django writes IPv6 hosts in brackets).
_HOST_WITH_PORT = re.compile(r"(?P<host>[^:\[\]]+|\[[0-9a-fA-F:.]+\]):(?P<port>[0-9]+)")


def _required(name: str) -> str:
    """Return a production secret, or stop with a message that says how to set it."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_DEBUG is off (production). "
            f"Set it in the environment, or set DJANGO_DEBUG=true for local development."
        )
    return value


if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-local-development-key-do-not-deploy")
    _HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = _required("DJANGO_SECRET_KEY")
    _HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not _HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must list the site's host names when DJANGO_DEBUG is off, "
            "e.g. DJANGO_ALLOWED_HOSTS=workshop.example.org"
        )
# An entry may name its port (workshop.example.org:8443): that host is then answered on that port only
# (eventsite.middleware.HostPortMiddleware). Django's ALLOWED_HOSTS takes the host names alone.
_HOST_PORTS = [(entry, _HOST_WITH_PORT.fullmatch(entry)) for entry in _HOSTS]
ALLOWED_HOSTS = [match["host"] if match else entry for entry, match in _HOST_PORTS]
# Each allowed host with the port it is answered on ("" for any port), when any entry names a port.
ALLOWED_HOST_PORTS = (
    [(match["host"], match["port"]) if match else (entry, "") for entry, match in _HOST_PORTS]
    if any(match for _, match in _HOST_PORTS)
    else []
)

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Production must be correct with what it is given, so it refuses to start without a shared cache, PostgreSQL
# and the site's address. The test suite's unit layer alone runs the production settings on SQLite and one
# process's memory, and says so.
EMBEDDED_ALLOWED = DEBUG or env.bool("DJANGO_TEST_SUITE", default=False)
# Emails and calendars carry absolute links on it, whatever host a request came in on.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000") if EMBEDDED_ALLOWED else _required("SITE_URL")
SITE_URL = SITE_URL.rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="NeuroAI Workshops")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "import_export",
    "auditlog",
    "csp",
    "program",
    "registration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "eventsite.middleware.HostPortMiddleware",
    "eventsite.middleware.RefuseTraceMiddleware",
    # Static files, as WhiteNoise's documentation places it: they need no page policy.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A response whose ETag or Last-Modified the request already has becomes a 304 (program/http.py).
    "django.middleware.http.ConditionalGetMiddleware",
    # Public pages and calendars kept whole, served before everything below (program/middleware.py).
    "program.middleware.KeptResponseMiddleware",
    # Before the rest, so every page gets the headers, even one an inner middleware answers.
    "eventsite.middleware.ContentSecurityPolicyMiddleware",
    "eventsite.middleware.PermissionsPolicyMiddleware",
    "eventsite.middleware.RetryAfterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "eventsite.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "eventsite.urls"
WSGI_APPLICATION = "eventsite.wsgi.application"

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
                "program.context_processors.site",
                "registration.context_processors.registered_events",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if not EMBEDDED_ALLOWED and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    # SQLite takes one writer at a time: parallel registrations failed with "database is locked".
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database when DJANGO_DEBUG is off (production), "
        "e.g. DATABASE_URL=postgres://user:password@host:5432/eventsite; SQLite is for local development."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if not EMBEDDED_ALLOWED and not REDIS_URL:
    # Without it each process keeps its own cache: one would serve what another has revoked or changed.
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DJANGO_DEBUG is off (production): the site's processes share their cache, "
        "rate limits and task queue through it, e.g. REDIS_URL=redis://127.0.0.1:6379/0."
    )
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis on every signed-in request and kept in the database as well; a cache
    # private to each process (the embedded default) would let one process miss another's logout.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# Accounts: the email address is the login and must be verified.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Addresses are compared and kept in one normal form (registration/accounts.py).
ACCOUNT_ADAPTER = "registration.accounts.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Registration form posts allowed per person and per address (allauth limits the account forms).
REGISTRATION_RATE_LIMIT_USER = env.str("REGISTRATION_RATE_LIMIT_USER", default="20/m")
REGISTRATION_RATE_LIMIT_IP = env.str("REGISTRATION_RATE_LIMIT_IP", default="300/m")
# How many proxies of our own stand in front of the site (each appending to X-Forwarded-For). Behind one TLS
# proxy this is 1; at 0 every limit counts REMOTE_ADDR, which behind a proxy is the proxy for everyone. One
# setting for every limiter: allauth's (login, signup, password reset) reads it under this name, and so does the
# site's own (eventsite.middleware.client_address).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"{SITE_NAME}: "

LANGUAGE_CODE = "en-us"
# The server keeps UTC; pages show each event in its own IANA zone.
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: the console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
    EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Workshop <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_REPLY_TO = env.list("EMAIL_REPLY_TO", default=[])
# A worker keeps its connection to the mail server open between emails; after this long idle it reconnects.
EMAIL_CONNECTION_IDLE_SECONDS = env.int("EMAIL_CONNECTION_IDLE_SECONDS", default=30)

# Celery: a worker on Redis when REDIS_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# With no worker to hold a task queued with a countdown (the embedded development server), a timer thread of the
# process runs it when due (eventsite.celery.queue). The test suite runs such tasks at once instead.
TASK_COUNTDOWN_TIMERS = CELERY_TASK_ALWAYS_EAGER and DEBUG
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Two child processes per core: most of a task's time is spent waiting on the mail server and the database.
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2 * (os.cpu_count() or 1))
# Each child process holds up to 4 messages, so it does not wait on Redis between short tasks (emails); with
# late acks a message held by a worker that dies goes back to the queue.
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TIMEZONE = "UTC"
# The task modules a worker loads (program.tasks is found by autodiscovery; registration's tasks are a package).
CELERY_IMPORTS = [
    "registration.tasks.badges",
    "registration.tasks.mail",
    "registration.tasks.notices",
    "registration.tasks.privacy",
]
# A registration must not wait on a broker outage: publish once, and let the sweep deliver what was owed.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "sweep-notifications": {
        "task": "registration.tasks.mail.sweep_notifications",
        "schedule": env.float("NOTIFICATION_SWEEP_SECONDS", default=60.0),
    },
    "queue-reminders": {
        "task": "registration.tasks.notices.queue_reminders",
        "schedule": env.float("REMINDER_SWEEP_SECONDS", default=15 * 60.0),
    },
    "refresh-due-invites": {"task": "registration.tasks.notices.refresh_due_invites", "schedule": 60.0},
    "erase-expired-answers": {
        "task": "registration.tasks.privacy.erase_expired_answers",
        "schedule": env.float("RETENTION_SWEEP_SECONDS", default=6 * 3600.0),
    },
}
# Seconds an owed notice may wait for its task before the sweep delivers it instead.
NOTIFICATION_SWEEP_AFTER = env.int("NOTIFICATION_SWEEP_AFTER", default=60)
# Seconds before the first retry of a notice the mail server refused for now; each retry waits twice as long.
NOTIFICATION_RETRY_BACKOFF = env.int("NOTIFICATION_RETRY_BACKOFF", default=30)
# Seconds to wait after an agenda edit before sending updated invites, so a burst of edits sends one.
INVITE_REFRESH_DELAY = env.int("INVITE_REFRESH_DELAY", default=120)

# Production hardening: only where DEBUG is off, so local http works.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancers and orchestrators probe these over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint reports each rendering step at INFO: too chatty for a log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # In-process tasks (no REDIS_URL) would log every run into the web server's console.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
    },
}

# Content-Security-Policy (django-csp 4.0): pages load scripts, styles, fonts and images from this site only,
# with no inline script or style (`data:` images for the admin's and the browsers' own icons). The admin alone
# may use inline styles, which Django's and its add-ons' templates contain (eventsite/middleware.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
