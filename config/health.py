"""`/healthz`: can this deployment do its work? For load balancers and container health checks.

It answers 200 only when the database answers a query and the Celery broker accepts a connection,
503 otherwise. It never shows a URL, host or error message: only what failed and the error's class,
so it is safe to leave open without authentication.

`python -m config.health web|beat` are the container health checks of docker-compose.yml (the
slim image has no curl, and beat has no ping of its own).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

# Short: a health check that hangs is worse than one that says "degraded".
BROKER_TIMEOUT_SECONDS = 2.0


def check_database() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy"; the class says enough
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": _ms_since(started)}


def check_broker() -> dict[str, object]:
    started = time.monotonic()
    try:
        with celery_app.connection_for_write() as conn:
            transport = conn.transport_cls
            if transport == "filesystem":
                # The filesystem broker has no server: it works when its folders are there.
                options = conn.transport_options
                folders = {options.get("data_folder_in"), options.get("data_folder_out")}
                missing = [f for f in folders if not f or not Path(f).is_dir()]
                if missing:
                    return {"ok": False, "transport": transport, "error": "folder missing"}
            else:
                # One attempt, no retries: kombu would otherwise keep trying for a long time.
                conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        return {"ok": False, "transport": _transport_name(), "error": type(exc).__name__}
    return {"ok": True, "transport": transport, "ms": _ms_since(started)}


@never_cache
@require_GET
def healthz(request):
    database = check_database()
    broker = check_broker()
    healthy = database["ok"] and broker["ok"]
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )


def _transport_name() -> str:
    # Only the scheme: the rest of a broker URL may hold a password.
    url = celery_app.conf.broker_write_url or celery_app.conf.broker_url or ""
    return url.split("://", 1)[0] or "unknown"


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


# --- container health checks -----------------------------------------------------------------


def probe_web(url: str, host: str, timeout: float = 5.0) -> bool:
    """True when the web server at `url` answers and reaches its database. A broker that is
    down does not make web unhealthy: bookings still work then, and the outbox sweep sends their
    messages later, so restarting web would only take the counter down too. `host` is sent as
    the Host header, so the request passes ALLOWED_HOSTS the way a real one does."""
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as degraded:  # 503: read which part failed
        body = degraded.read()
    except (urllib.error.URLError, OSError):
        return False
    try:
        return json.loads(body)["database"]["ok"] is True
    except (ValueError, KeyError, TypeError):
        return False


def allowed_host(value: str) -> str:
    """A name from an ALLOWED_HOSTS value ("a.nl,.b.nl") that the server will accept."""
    for name in (part.strip() for part in value.split(",")):
        if name and name != "*":
            return name.lstrip(".")  # ".b.nl" allows b.nl and its subdomains
    return "localhost"


def beat_is_fresh(schedule: str, max_age_seconds: float) -> bool:
    """True when beat wrote its schedule file lately. Beat rewrites it every three minutes while
    it runs; dbm may add a suffix (.db, .dat), hence the glob."""
    files = glob.glob(glob.escape(schedule) + "*")
    if not files:
        return False
    newest = max(os.path.getmtime(f) for f in files)
    return time.time() - newest < max_age_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.health")
    sub = parser.add_subparsers(dest="what", required=True)
    web = sub.add_parser("web", help="ask the local web server's /healthz")
    web.add_argument("--url", default="http://127.0.0.1:8000/healthz")
    beat = sub.add_parser("beat", help="check that beat wrote its schedule file lately")
    beat.add_argument("--schedule", default="/tmp/celerybeat-schedule")
    beat.add_argument("--max-age", type=float, default=600)
    args = parser.parse_args(argv)
    if args.what == "web":
        ok = probe_web(args.url, allowed_host(os.environ.get("ALLOWED_HOSTS", "")))
    else:
        ok = beat_is_fresh(args.schedule, args.max_age)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
