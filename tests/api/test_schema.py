"""The OpenAPI schema is what other systems build against: it must generate without a warning."""

import yaml
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
