"""Bad input gets a clear answer, never a 500: Schemathesis generates requests, valid and not,
for every operation in our own OpenAPI schema, sent as a counter clerk's integration and as a
service owner, against the real database with the demo municipality loaded."""

import os
from io import StringIO

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token

from config.wsgi import application


@pytest.fixture(autouse=True)
def keep_the_test_transaction_open():
    # Called directly, the WSGI app closes the database connection when a request ends, which
    # would end the test's transaction; Django's test client disconnects the same handlers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# A fixed few per operation in every run, the same each time so that CI is repeatable;
# FUZZ_EXAMPLES=200 for a deeper, random search by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
REPEATABLE = "FUZZ_EXAMPLES" not in os.environ
OPERATIONS = [
    result.ok()
    for result in schemathesis.openapi.from_wsgi("/api/schema/", application).get_all_operations()
]


@pytest.mark.parametrize("username", ["integration", "olga"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_request_is_answered_with_a_server_error(operation, username, db):
    call_command("seed_demo", force=True, stdout=StringIO())
    token = Token.objects.get_or_create(user=User.objects.get(username=username))[0].key

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=REPEATABLE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def answered_clearly(case):
        response = case.call(headers={"Authorization": f"Token {token}"})
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body.get("code"), str), body
            assert isinstance(body.get("detail"), str), body

    answered_clearly()
