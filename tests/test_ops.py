"""Operations: the health check, and the files that start Spreekuur (compose, .env.example,
README, CI) kept honest against the code."""

import os
import re
import socket
import time
from pathlib import Path

import pytest
import yaml

from config import health
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


# --- /healthz ------------------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: bound, then let go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_at(closed_port):
    """Point the Celery app at another broker for one test, then back. The shared Redis is never
    touched."""
    conf = celery_app.conf
    saved = {key: conf.get(key) for key in ("broker_url", "broker_write_url")}

    def point(url: str) -> None:
        conf.broker_url = url
        conf.broker_write_url = None

    yield point
    for key, value in saved.items():
        conf[key] = value


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "transport": "redis", "ms": body["broker"]["ms"]}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, broker_at, closed_port):
    broker_at(f"redis://:s3cret-password@127.0.0.1:{closed_port}/0")

    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < 5, "one short attempt, no retry loop"
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["transport"] == "redis"
    # Neither the password nor the address leaks.
    assert "s3cret" not in response.content.decode()
    assert str(closed_port) not in response.content.decode()


@pytest.mark.django_db
def test_healthz_checks_the_filesystem_broker_by_its_folder(client, broker_at, tmp_path):
    broker_at("filesystem://")
    options = celery_app.conf.broker_transport_options
    try:
        celery_app.conf.broker_transport_options = {
            "data_folder_in": str(tmp_path),
            "data_folder_out": str(tmp_path),
        }
        assert client.get("/healthz").status_code == 200
        celery_app.conf.broker_transport_options = {
            "data_folder_in": str(tmp_path / "gone"),
            "data_folder_out": str(tmp_path / "gone"),
        }
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_transport_options = options
    assert response.status_code == 503
    assert response.json()["broker"] == {
        "ok": False, "transport": "filesystem", "error": "folder missing"
    }


def test_healthz_reports_a_database_that_does_not_answer(monkeypatch):
    class Unreachable:
        vendor = "postgresql"

        def cursor(self):
            raise OSError("could not connect to server at db.internal, password=hunter2")

    monkeypatch.setattr(health, "connection", Unreachable())
    assert health.check_database() == {"ok": False, "vendor": "postgresql", "error": "OSError"}


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


# --- container health checks ---------------------------------------------------------------------


def test_the_web_probe_sends_a_host_that_allowed_hosts_accepts():
    assert health.allowed_host("spreekuur.example.nl,localhost") == "spreekuur.example.nl"
    assert health.allowed_host(".example.nl") == "example.nl"
    assert health.allowed_host("*") == "localhost"
    assert health.allowed_host("") == "localhost"


def test_the_web_probe_fails_when_nothing_listens(closed_port):
    assert not health.probe_web(f"http://127.0.0.1:{closed_port}/healthz", "localhost", 1)


def test_the_beat_probe_wants_a_recently_written_schedule(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    assert not health.beat_is_fresh(str(schedule), 600)
    written = tmp_path / "celerybeat-schedule.db"  # dbm may add a suffix
    written.write_bytes(b"")
    assert health.beat_is_fresh(str(schedule), 600)
    an_hour_ago = time.time() - 3600
    os.utime(written, (an_hour_ago, an_hour_ago))
    assert not health.beat_is_fresh(str(schedule), 600)


# --- docker-compose.yml and Dockerfile ------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_part_with_a_health_check(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert name in services, name
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_starts_the_app_only_on_healthy_servers_and_a_migrated_database(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        env = services[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
            assert variable in env, (name, variable)
        assert services[name]["env_file"] == ".env"
    assert "migrate" in services["migrate"]["command"]
    assert "gunicorn" in services["web"]["command"]


def test_every_variable_compose_interpolates_is_documented(compose):
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))
    assert used - _documented() == set()


def test_the_image_is_slim_python_311_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "collectstatic" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored and ".git" in ignored


# --- .env.example --------------------------------------------------------------------------------

# env.str("X"), env.bool("X"), env("X"), os.environ.get("X"), os.environ["X"], os.getenv("X")
ENV_READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "WEB_PORT", "WEB_CONCURRENCY", "WORKER_CONCURRENCY"}


def _read_by_settings() -> set[str]:
    return set(ENV_READ.findall((ROOT / "config" / "settings.py").read_text()))


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", text, re.M))


def test_env_example_lists_every_variable_settings_reads():
    read = _read_by_settings()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TWILIO_AUTH_TOKEN"} <= read
    assert read - _documented() == set()


def test_env_example_lists_nothing_settings_has_stopped_reading():
    assert _documented() - _read_by_settings() - COMPOSE_ONLY == set()


def test_env_example_holds_no_secrets():
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s?(SECRET_KEY|TWILIO_AUTH_TOKEN|POSTGRES_PASSWORD)=(.*)$", line)
        if match:
            assert match.group(2) == "", line


# --- README and CI -----------------------------------------------------------------------------


def test_readme_starts_with_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)", readme, re.M)
    assert commands[:2] == ["make run", "make test"]
    first_section_ends = readme.index("\n## ", readme.index("\n## ") + 1)
    assert readme.index("make run") < readme.index("make test") < first_section_ends


def test_ci_runs_lint_migrations_check_and_the_full_suite_on_the_real_servers():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash") or script.startswith("#!/bin/bash")
    assert "set -euo pipefail" in script
    for step in ("ruff check", "makemigrations --check --dry-run", "make test"):
        assert step in script, step
    # The opt-out is for laptops; CI must never take it.
    assert not re.search(r"SPREEKUUR_TEST_SQLITE=1|export SPREEKUUR_TEST_SQLITE", script)

