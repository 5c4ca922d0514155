"""A real SMTP server for tests (aiosmtpd), that can be stopped and started again on the same
port to play a mail server outage. It keeps what it received; ``refuse`` makes it answer
a recipient with the given reply (e.g. ``"550 no such user"``)."""

import email
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

from tests.ports import free_port


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.sink.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}
        self._controller = None

    def start(self) -> "SmtpSink":
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def recipients(self) -> list[str]:
        return [address for tos, _message in self.received for address in tos]

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for _tos, message in self.received]
