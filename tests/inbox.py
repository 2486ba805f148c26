"""A real SMTP server on a free port, keeping every message it is sent, for reading back what
Flourish emailed."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from bench.serving import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.port = 0
        #: Seconds the server takes to accept each message, as a slow mail server would.
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str, *, within: float = 10.0) -> list[email.message.Message]:
        """The messages to this address, waiting up to `within` seconds for the first to arrive
        (a server sends its emails once its transaction has ended, on a thread of its own)."""
        deadline = time.monotonic() + within
        while True:
            found = [m for m in self.messages if m["To"] == address]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@contextmanager
def running_inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    inbox.port = server.port
    try:
        yield inbox
    finally:
        server.stop()
        asyncio.set_event_loop(None)


def text_of(message: email.message.Message) -> str:
    return message.get_payload(decode=True).decode()
