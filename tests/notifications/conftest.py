"""Fixtures for the notifications tests.

Lina came to the Netherlands two years ago and now prefers Dutch. Oksana speaks Ukrainian (no
message catalogue yet) and Dutch as her second language.
"""

import contextlib
import socket
from collections.abc import Iterator

import pytest

from config.celery import app as celery_app
from scheduler.models import Visitor


def free_port() -> int:
    """A local TCP port that nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def celery_broker(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point this process's Celery app at `url` with eager mode off, as in production."""
    # An environment variable would win over the configuration (Celery reads it first).
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    saved = {
        "broker_url": celery_app.conf.broker_url,
        "task_always_eager": celery_app.conf.task_always_eager,
    }
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(celery_app.conf, key, value)


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Redis is unreachable: the broker URL points at a closed local port. The shared Redis
    server is never touched."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    with celery_broker(url, monkeypatch):
        yield url


@pytest.fixture
def lina(languages) -> Visitor:
    return Visitor.objects.create(phone="+31611112222", name="Lina", language=languages["nl"])


@pytest.fixture
def oksana(languages) -> Visitor:
    return Visitor.objects.create(
        phone="+31633334444",
        name="Oksana",
        language=languages["uk"],
        second_language=languages["nl"],
    )
