from django.apps import AppConfig


class ProgramConfig(AppConfig):
    name = "program"
    verbose_name = "Program"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, signals  # noqa: F401 - connects the receivers that make new versions

        for model in (
            models.Event,
            models.Person,
            models.EventRole,
            models.Session,
            models.SessionPerson,
            models.Talk,
            models.TalkSpeaker,
            models.Recording,
        ):
            auditlog.register(model)
