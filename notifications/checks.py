"""System checks for how messages leave: `manage.py check --deploy` refuses a production setup
whose SMS would only be printed, and every command refuses a gateway that cannot be loaded.

Registered when this module is imported, from `NotificationsConfig.ready`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string

from .gateways import ConsoleGateway, Gateway, MemoryGateway

TAG = "notifications"

# Until the Twilio gateway exists, this is what a reader of the error needs to know.
LATER = (
    "The Twilio gateway (notifications.gateways.TwilioGateway) arrives in a later issue; until "
    "then Spreekuur has no gateway that sends, and the console gateway writes every message to "
    "the worker's log."
)


def _gateway_class() -> type | None:
    try:
        found = import_string(settings.SMS_GATEWAY)
    except ImportError:
        return None
    return found if isinstance(found, type) and issubclass(found, Gateway) else None


@register(TAG)
def check_gateway_loads(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Always: a gateway that cannot be loaded would fail every message at the relay."""
    if _gateway_class() is not None:
        return []
    return [
        Error(
            f"SMS_GATEWAY = {settings.SMS_GATEWAY!r} is not a gateway class that can be "
            "imported: no message could be sent.",
            hint="Set SMS_GATEWAY to notifications.gateways.ConsoleGateway. " + LATER,
            id="notifications.E002",
        )
    ]


@register(TAG, deploy=True)
def check_gateway_sends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With `check --deploy`: a production server (DEBUG off) must send, not print."""
    gateway = _gateway_class()
    if settings.DEBUG or gateway is None or not issubclass(gateway, ConsoleGateway | MemoryGateway):
        return []
    return [
        Error(
            f"SMS_GATEWAY = {settings.SMS_GATEWAY!r} with DEBUG off: messages would be "
            "printed, not sent; set SMS_GATEWAY to a real gateway.",
            hint=LATER,
            id="notifications.E001",
        )
    ]
