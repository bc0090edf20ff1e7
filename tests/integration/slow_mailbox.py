"""aiosmtpd handlers for the pipeline tests.

SlowMailbox keeps mail in a Maildir but takes each message only after a delay, like a busy server, and
answers as it takes it: a client that dies meanwhile has not sent it (RFC 5321: the server is responsible
for a message once it has answered 250). Refusing answers every message with the reply it is given.
FlakyMailbox answers the first messages with 451 (try again later), then keeps them like SlowMailbox.

Run: python -m aiosmtpd -n -l HOST:PORT -c tests.integration.slow_mailbox.SlowMailbox MAILDIR SECONDS
"""

import asyncio
from pathlib import Path

from aiosmtpd.handlers import Mailbox


class SlowMailbox(Mailbox):
    def __init__(self, mail_dir, delay="0.5"):
        super().__init__(mail_dir)
        self.delay = float(delay)
        self.receiving = Path(mail_dir).with_name("receiving")

    async def handle_DATA(self, server, session, envelope):
        # A line per message the server has been sent and has not yet answered, for a test to wait on.
        with self.receiving.open("a") as log:
            log.write(f"{envelope.rcpt_tos}\n")
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


class FlakyMailbox(SlowMailbox):
    def __init__(self, mail_dir, refusals="1"):
        super().__init__(mail_dir, delay="0")
        self.refusals = int(refusals)

    async def handle_DATA(self, server, session, envelope):
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 Busy, try again later"
        return await super().handle_DATA(server, session, envelope)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) not in (1, 2):
            parser.error("FlakyMailbox takes a mail directory and how many messages to refuse first")
        return cls(*args)
