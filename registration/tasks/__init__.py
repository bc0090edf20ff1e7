"""Celery tasks of the registration app, by feature; settings.CELERY_IMPORTS names each module for the worker."""
