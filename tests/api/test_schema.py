"""The OpenAPI schema is what other systems build against: it must generate without a warning."""

import re

import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command


def test_the_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    assert "/api/v1/bookings/{reference}/check-in/" in paths
    booking = paths["/api/v1/bookings/"]["post"]
    assert any(
        p["name"] == "Idempotency-Key" and p["in"] == "header" for p in booking["parameters"]
    )
    assert {"201", "400", "401", "403", "409", "422"} <= set(booking["responses"])
    assert "Error" in schema["components"]["schemas"]


def test_the_api_docs_load_every_script_and_stylesheet_from_our_own_static_files(admin_client):
    page = admin_client.get("/api/docs/").content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("/swagger-ui-bundle.js") for asset in assets)
    assert not re.search(r"https?://", page), "no CDN: the docs work offline"
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL), asset  # "/static/"
        # ...and collectstatic finds it, to bake into the image.
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset
