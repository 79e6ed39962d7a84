"""The development console email backend: one line per email, not the whole message."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class OneLineConsoleBackend(ConsoleBackend):
    """Writes ``email to <addresses>: <subject> <Message-ID>`` per message, so the worker's
    terminal stays readable while it sends a demo's worth of notifications."""

    def write_message(self, message):
        message_id = message.extra_headers.get("Message-ID", "(no Message-ID)")
        line = f"email to {', '.join(message.recipients())}: {message.subject} {message_id}\n"
        self.stream.write(line)
