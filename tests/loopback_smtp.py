"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) that keeps what it receives.

``server.messages`` holds :class:`email.message.EmailMessage` objects (parsed, headers decoded),
``server.wait_for(predicate, timeout)`` waits for a matching one (for browser tests, where the
notification worker of another process delivers). Also runnable alone for a manual look::

    python tests/loopback_smtp.py 2525
"""

from __future__ import annotations

import email
import email.policy
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Keep:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @staticmethod
    def subject(message) -> str:
        """The decoded subject without the folding whitespace a long encoded header starts with."""
        return " ".join(str(message["Subject"]).split())

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def find(self, predicate) -> list:
        with self.lock:
            return [m for m in self.messages if predicate(m)]

    def wait_for(self, predicate, timeout: float = 30.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.find(predicate)
            if found:
                return found[-1]
            time.sleep(0.2)
        subjects = [self.subject(m) for m in self.messages]
        raise AssertionError(f"no matching e-mail within {timeout} s; received: {subjects}")


if __name__ == "__main__":
    with SmtpServer(int(sys.argv[1]) if len(sys.argv) > 1 else None) as server:
        print(f"listening on {server.url}", flush=True)
        try:
            while True:
                time.sleep(1)
                for m in server.messages[len(getattr(server, '_shown', [])):]:
                    print(m["To"], m["Subject"])
                server._shown = list(server.messages)
        except KeyboardInterrupt:
            pass
