"""Loaded first (`-p tests.servers`): points the suite at the real PostgreSQL and Redis, and
refuses to run without them rather than pass on something weaker.

`SPREEKUUR_TEST_SQLITE=1` is the explicit opt-out for a laptop without the servers: the suite
then runs on SQLite and reports every PostgreSQL or Redis test as skipped. CI never sets it.
"""

import os
import socket
import tempfile
from urllib.parse import urlsplit

import pytest

SQLITE_ONLY = os.environ.get("SPREEKUUR_TEST_SQLITE") == "1"

if SQLITE_ONLY:
    os.environ["DATABASE_URL"] = "sqlite:///:memory:"
    os.environ["REDIS_URL"] = ""  # the cache in memory; tasks run eagerly, no broker needed
else:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
os.environ["SMS_GATEWAY"] = "notifications.gateways.MemoryGateway"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ["MUNICIPALITY_PHONE"] = "14 036"
# WhiteNoise warns (an error under filterwarnings=error) when STATIC_ROOT does not exist yet.
os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="spreekuur-static-"))

HOW_TO_START = """\
The tests need PostgreSQL and Redis, and {what} is not reachable at {where}.
  - Start them (Debian): pg_ctlcluster $(ls /etc/postgresql) main start
                          redis-server --daemonize yes --port 6379 --save ''
  - or point the tests elsewhere: DATABASE_URL=postgres://user@host:5432/db REDIS_URL=redis://host:6379/0
  - or, knowingly, run without them: SPREEKUUR_TEST_SQLITE=1 make test
    (PostgreSQL and Redis tests are then reported as skipped)."""


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 3
        ):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    if SQLITE_ONLY:
        return
    for what, url, port in (
        ("PostgreSQL", os.environ["DATABASE_URL"], 5432),
        ("Redis", os.environ["REDIS_URL"], 6379),
    ):
        if not _reachable(url, port):
            parts = urlsplit(url)
            raise pytest.UsageError(
                HOW_TO_START.format(what=what, where=f"{parts.hostname}:{parts.port or port}")
            )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not SQLITE_ONLY:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL/Redis; SPREEKUUR_TEST_SQLITE=1 is set")
    for item in items:
        if item.get_closest_marker("postgres") or item.get_closest_marker("redis"):
            item.add_marker(skip)
