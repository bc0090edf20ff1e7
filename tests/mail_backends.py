"""Email backends for the unit layer: Django's in-memory outbox, with a server that fails or counts connections.

The real SMTP path (aiosmtpd, a Celery worker) is covered by tests/integration.
"""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class CountingBackend(EmailBackend):
    """The in-memory outbox, counting how often a connection is opened and what it held at each send."""

    opened = 0
    seen_marked_sent: list[bool] = []

    def open(self):
        type(self).opened += 1
        return True

    def send_messages(self, messages):
        from registration.models import Notification

        for message in messages:
            pk = int(message.extra_headers["Message-ID"].split("-", 1)[1].split("@", 1)[0])
            type(self).seen_marked_sent.append(Notification.objects.get(pk=pk).sent_at is not None)
        return super().send_messages(messages)


class FailingBackend(EmailBackend):
    """A mail server that answers every message with `error`, counting the connections closed; opening or closing
    one raises `open_error` or `close_error` if set."""

    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")  # set by the test
    open_error: Exception | None = None
    close_error: Exception | None = None
    closed = 0

    def open(self):
        if type(self).open_error is not None:
            raise type(self).open_error
        return super().open()

    def send_messages(self, messages):
        raise type(self).error

    def close(self):
        type(self).closed += 1
        if type(self).close_error is not None:
            raise type(self).close_error
