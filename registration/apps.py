from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = "Registration"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, signals  # noqa: F401 - connects the agenda-change receivers

        auditlog.register(models.Registration, exclude_fields=["feed_token", "invite_fingerprint"])
        auditlog.register(models.Question)
