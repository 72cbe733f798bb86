"""Every refused API request answers the same way: JSON `{"code": ..., "detail": ...}` with a 4xx.

`code` is stable and meant for programs; `detail` is for the person reading the log. Domain errors
from the door (`scheduler.errors`) keep their own code and status; DRF's own exceptions use their
default code (`invalid`, `not_found`, `not_authenticated`, `permission_denied`, `parse_error`,
`method_not_allowed`, `unsupported_media_type`, `throttled` ...). Validation errors add
`errors: {field: [message, ...]}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from . import errors


class InvalidReference(errors.NotFound):
    """A booking reference whose check digit does not add up: a typo, never someone else's."""

    code = "invalid_reference"
    message = _("This is not a valid booking reference; please check the digits.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, errors.BookingError):
        set_rollback()
        return Response({"code": exc.code, "detail": exc.detail}, status=exc.http_status)

    # DRF's own handler turns Http404 / PermissionDenied into its exceptions and sets the
    # WWW-Authenticate and Retry-After headers; we only reword its body.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django log it and answer 500
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response.data = error_body(exc)
    return response


def error_body(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        return {
            "code": "invalid",
            "detail": _first_message(detail) or _("The request is not valid."),
            "errors": detail if isinstance(detail, dict) else {"non_field_errors": detail},
        }
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        return {"code": code, "detail": str(detail)}
    return {"code": "error", "detail": str(exc)}


def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Unknown paths under the API answer in the API's own words, not Django's HTML page."""
    return JsonResponse({"code": "not_found", "detail": _("No such API endpoint.")}, status=404)


def _first_message(detail: Any) -> str | None:
    """The first readable message in a nested validation error, with its field's name."""
    if isinstance(detail, dict):
        for field, inner in detail.items():
            message = _first_message(inner)
            if message:
                return message if field == "non_field_errors" else f"{field}: {message}"
    elif isinstance(detail, list):
        for inner in detail:
            message = _first_message(inner)
            if message:
                return message
    elif detail:
        return str(detail)
    return None
