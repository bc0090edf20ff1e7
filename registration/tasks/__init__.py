"""Celery tasks of the registration app, by feature; Celery's autodiscovery imports this package."""

from .badges import *  # noqa: F403
from .mail import *  # noqa: F403
from .privacy import *  # noqa: F403
