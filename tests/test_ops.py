"""Operations: the health check, and the files that start Spreekuur (compose, .env.example,
README, CI) kept honest against the code."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.core.checks import Error

from config import health
from config.celery import app as celery_app
from notifications import checks

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

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    # What failed and the error's class, nothing more.
    assert body["broker"] == {"ok": False, "transport": "redis", "error": body["broker"]["error"]}
    assert re.fullmatch(r"[A-Za-z]+", body["broker"]["error"])
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


@pytest.mark.redis
def test_the_web_probe_keeps_web_healthy_while_only_the_broker_is_down(
    live_server, broker_at, closed_port
):
    # Bookings still work without the broker (the sweep sends later): web must not be restarted.
    url = f"{live_server.url}/healthz"
    assert health.probe_web(url, "localhost")

    broker_at(f"redis://127.0.0.1:{closed_port}/0")

    assert health.probe_web(url, "localhost")


def test_the_beat_probe_wants_a_recently_written_schedule(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    assert not health.beat_is_fresh(str(schedule), 600)
    written = tmp_path / "celerybeat-schedule.db"  # dbm may add a suffix
    written.write_bytes(b"")
    assert health.beat_is_fresh(str(schedule), 600)
    an_hour_ago = time.time() - 3600
    os.utime(written, (an_hour_ago, an_hour_ago))
    assert not health.beat_is_fresh(str(schedule), 600)


# --- settings read from the environment ----------------------------------------------------------


def settings_under(**env: str) -> dict:
    """Some settings as a fresh process reads them with these environment variables."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
        "'cache': settings.CACHES['default'],"
        "'proxy_header': getattr(settings, 'SECURE_PROXY_SSL_HEADER', None),"
        "'ssl_redirect': settings.SECURE_SSL_REDIRECT,"
        "'redirect_exempt': settings.SECURE_REDIRECT_EXEMPT,"
        "'hsts_seconds': settings.SECURE_HSTS_SECONDS,"
        "'hsts_subdomains': settings.SECURE_HSTS_INCLUDE_SUBDOMAINS}))"
    )
    base = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "settings-test",
        "DATABASE_URL": "sqlite:///:memory:",
        "STATIC_ROOT": os.environ["STATIC_ROOT"],
        "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=base | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_the_cache_is_shared_on_redis_when_there_is_one_else_kept_per_process():
    shared = settings_under(REDIS_URL="redis://redis:6379/0")["cache"]
    assert shared["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shared["LOCATION"] == "redis://redis:6379/0"
    assert settings_under()["cache"]["BACKEND"] == (
        "django.core.cache.backends.locmem.LocMemCache"
    )


def test_https_behind_a_proxy_is_off_until_asked_for():
    plain = settings_under()
    assert plain["proxy_header"] is None
    assert (plain["ssl_redirect"], plain["hsts_seconds"], plain["hsts_subdomains"]) == (
        False, 0, False,
    )

    proxied = settings_under(
        BEHIND_TLS_PROXY="1",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
    )
    assert proxied["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (proxied["ssl_redirect"], proxied["hsts_seconds"], proxied["hsts_subdomains"]) == (
        True, 31536000, True,
    )
    # The container health check asks over plain HTTP and must not be redirected.
    assert any(re.match(pattern, "healthz") for pattern in proxied["redirect_exempt"])


# --- system checks for sending SMS ---------------------------------------------------------------


def test_a_production_server_that_would_print_its_sms_fails_the_deploy_check(settings):
    settings.DEBUG = False
    for printing in ("notifications.gateways.ConsoleGateway",
                     "notifications.gateways.MemoryGateway"):
        settings.SMS_GATEWAY = printing
        [error] = checks.check_gateway_sends()
        assert isinstance(error, Error)
        assert error.id == "notifications.E001"
        assert "printed, not sent" in error.msg


def test_printing_sms_is_fine_in_development(settings):
    settings.DEBUG = True
    settings.SMS_GATEWAY = "notifications.gateways.ConsoleGateway"
    assert checks.check_gateway_sends() == []


def test_a_gateway_that_cannot_be_imported_fails_every_check(settings):
    for missing in ("notifications.gateways.TwilioGateway", "nowhere.Gateway", "notifications"):
        settings.SMS_GATEWAY = missing
        [error] = checks.check_gateway_loads()
        assert isinstance(error, Error)
        assert error.id == "notifications.E002"
        assert "later issue" in error.hint
    # The deploy check leaves that one to E002.
    settings.DEBUG = False
    assert checks.check_gateway_sends() == []


def test_the_gateways_we_have_load(settings):
    for gateway in ("notifications.gateways.ConsoleGateway",
                    "notifications.gateways.MemoryGateway"):
        settings.SMS_GATEWAY = gateway
        assert checks.check_gateway_loads() == []


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


def _with_defaults(value: str) -> str:
    """A compose value as it is when no variable is set: `${X:-d}` becomes d."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_compose_publishes_the_web_port_on_the_hosts_loopback_for_the_tls_proxy(compose):
    [published] = compose["services"]["web"]["ports"]
    assert _with_defaults(published) == "127.0.0.1:8000:8000"
    for name, service in compose["services"].items():
        if name != "web":
            assert "ports" not in service, name


def test_every_variable_compose_interpolates_is_documented(compose):
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))
    assert used - _documented() == set()


def test_the_image_is_slim_python_311_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "collectstatic" in dockerfile
    # One copy of the code: it runs from /app (PYTHONPATH), so the package is not also installed.
    assert re.search(r"PYTHONPATH=/app\b", dockerfile)
    assert not re.search(r"pip install\b[^\n]*\s\.(\s|$)", dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored and ".git" in ignored


# --- .env.example --------------------------------------------------------------------------------

# env.str("X"), env.bool("X"), env("X"), os.environ.get("X"), os.environ["X"], os.getenv("X")
ENV_READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)
COMPOSE_ONLY = {
    "POSTGRES_PASSWORD", "WEB_BIND", "WEB_PORT", "WEB_CONCURRENCY", "WORKER_CONCURRENCY"
}


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



def test_without_a_secret_key_production_refuses_to_sign_but_commands_still_run():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "sqlite:///:memory:",
        "REDIS_URL": "",
    }
    check = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )
    signing = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; "
         "django.setup(); settings.SECRET_KEY"],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )

    assert check.returncode == 0, check.stderr
    assert signing.returncode != 0
    assert "The SECRET_KEY setting must not be empty" in signing.stderr
