"""A small threaded SMTP server for the outbox tests, that can misbehave on purpose.

Modes (``server.mode``, changeable while it runs):

- ``ok``: a plain SMTP conversation; every message is kept in ``server.messages``.
- ``hang``: accepts the connection and never says a word (the worker must time out).
- ``refuse``: answers ``554`` to ``MAIL FROM`` (a server that rejects the message).
- ``drop``: reads the whole message, then closes the connection without answering.
- ``hold``: reads the whole message, sets ``server.holding``, waits for ``server.release``,
  then accepts it with ``250`` (lets a test act between "the server has the message" and
  "the worker heard that it has it").

``message_ids()`` counts the accepted messages by Message-ID: a duplicate shows as a count
of 2. Only RFC 5321's few commands the Django SMTP backend uses are understood.
"""

from __future__ import annotations

import socketserver
import threading
from collections import Counter
from email import message_from_bytes, policy

HANG_SECONDS = 60


class _Handler(socketserver.StreamRequestHandler):
    timeout = HANG_SECONDS + 5

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: FakeSMTPServer = self.server  # type: ignore[assignment]
        server.connections += 1
        if server.mode == "hang":
            server.hung.set()
            server.stop_hanging.wait(HANG_SECONDS)
            return
        self.reply("220 fake.smtp ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake.smtp")
            elif verb == "MAIL":
                if server.mode == "refuse":
                    self.reply("554 5.7.1 rejected for testing")
                else:
                    self.reply("250 OK")
            elif verb == "RCPT":
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = self._read_data()
                if server.mode == "drop":
                    server.dropped += 1
                    return
                if server.mode == "hold":
                    server.holding.set()
                    server.release.wait(HANG_SECONDS)
                server.accept(data)
                self.reply("250 OK queued")
            elif verb == "RSET" or verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while True:
            line = self.rfile.readline()
            if not line or line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class FakeSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str = "ok"):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.messages: list = []
        self.connections = 0
        self.dropped = 0
        self.hung = threading.Event()
        self.stop_hanging = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def accept(self, data: bytes) -> None:
        with self._lock:
            self.messages.append(message_from_bytes(data, policy=policy.default))

    def message_ids(self) -> Counter:
        with self._lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def __enter__(self) -> FakeSMTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_hanging.set()
        self.release.set()
        self.shutdown()
        self.server_close()
