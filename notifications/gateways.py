"""How a message reaches a phone: one class per provider, chosen by `SMS_GATEWAY` the way Django
chooses its email backend."""

from __future__ import annotations

import sys
import threading
import uuid
from dataclasses import dataclass
from typing import ClassVar, TextIO

from django.conf import settings
from django.utils.module_loading import import_string


class GatewayError(Exception):
    """Sending failed. `permanent` says that trying again cannot help (a number that does not
    exist, a blocked recipient); otherwise the relay tries again later."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str
    provider_id: str


class Gateway:
    def send(self, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; return the provider's message id."""
        raise NotImplementedError


class ConsoleGateway(Gateway):
    """Prints each message: for `make run` and development."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def send(self, to: str, body: str) -> str:
        provider_id = f"console-{uuid.uuid4()}"
        self.stream.write(f"\n--- SMS to {to} ({provider_id}) ---\n{body}\n--- end ---\n")
        self.stream.flush()
        return provider_id


class MemoryGateway(Gateway):
    """Keeps messages in `MemoryGateway.outbox`, like Django's locmem email backend: for tests."""

    outbox: ClassVar[list[SentSms]] = []
    _lock = threading.Lock()

    def send(self, to: str, body: str) -> str:
        provider_id = f"memory-{uuid.uuid4()}"
        with self._lock:
            self.outbox.append(SentSms(to=to, body=body, provider_id=provider_id))
        return provider_id


def get_gateway() -> Gateway:
    return import_string(settings.SMS_GATEWAY)()
