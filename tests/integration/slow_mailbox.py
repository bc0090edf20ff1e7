"""aiosmtpd handlers for the pipeline tests.

SlowMailbox keeps mail in a Maildir but takes each message only after a delay, like a busy server, and
answers as it takes it: a client that dies meanwhile has not sent it (RFC 5321: the server is responsible
for a message once it has answered 250). Refusing answers every message with the reply it is given.

Run: python -m aiosmtpd -n -l HOST:PORT -c tests.integration.slow_mailbox.SlowMailbox MAILDIR SECONDS
"""

import asyncio

from aiosmtpd.handlers import Mailbox


class SlowMailbox(Mailbox):
    def __init__(self, mail_dir, delay="0.5"):
        super().__init__(mail_dir)
        self.delay = float(delay)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) not in (1, 2):
            parser.error("The SlowMailbox class takes a mail directory and an optional delay in seconds")
        return cls(*args)


class Refusing:
    def __init__(self, reply):
        self.reply = reply

    async def handle_DATA(self, server, session, envelope):
        return self.reply

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 2:
            parser.error("Refusing takes a (unused) mail directory and the reply, e.g. '451 4.3.0 Try later'")
        return cls(args[1])
