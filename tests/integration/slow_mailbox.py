"""An aiosmtpd handler that keeps mail in a Maildir but answers DATA only after a delay, like a busy server.

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
