"""Handing a message to the mail server in two steps, so the outbox can be marked in between.

A mail server takes a message when it reads the line "." that ends DATA: it queues the message and then
answers 250. A sender that dies between the two cannot know whether the message was taken, and a sender
that marks its outbox only on the 250 sends the message again after a crash in that gap (the classic
duplicate of RFC 1047). So `begin` sends everything but the final ".", the caller commits the outbox row
as sent, and `Handover.finish` sends the "." and reads the answer. A crash after the commit leaves a
message the server has in full (sent once) or, in the instant before the "." leaves, a message it drops
(never sent). A refusal or a dropped connection seen while alive is the caller's to undo.
"""

import re
import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address

LINE_STARTING_WITH_A_DOT = re.compile(rb"(?m)^\.")


class Handover:
    """A message the server has all of but the "." that ends it."""

    def __init__(self, smtp: smtplib.SMTP):
        self.smtp = smtp

    def finish(self) -> None:
        """Send the "." and read the server's answer; anything but 250 is raised as SMTPDataError."""
        self.smtp.send(b".\r\n")
        code, reply = self.smtp.getreply()
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)


def begin(backend, message: EmailMessage) -> Handover | None:
    """Send the envelope and the message up to its last line; None when `backend` does not speak SMTP.

    Raises what smtplib raises for a refused sender, refused recipients or a refused DATA command.
    """
    if not isinstance(backend, EmailBackend) or not isinstance(backend.connection, smtplib.SMTP):
        return None
    smtp = backend.connection
    # The "." goes alone, after the commit: without TCP_NODELAY, Nagle's algorithm holds it back until the
    # server acknowledges the body, which a server delaying its ACKs does some 40 ms later.
    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    encoding = message.encoding or settings.DEFAULT_CHARSET
    sender = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(address, encoding) for address in message.recipients()]

    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(sender)
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for recipient in recipients:
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
    if len(refused) == len(recipients):
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = smtp.docmd("data")
    if code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(code, reply)

    body = LINE_STARTING_WITH_A_DOT.sub(b"..", message.message().as_bytes(linesep="\r\n"))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body)
    return Handover(smtp)
