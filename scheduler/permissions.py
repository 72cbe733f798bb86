"""Who may use which part of the API, by staff role (Django groups, see `scheduler.roles`).

| part                                        | counter_staff | coordinator | service_owner |
| ------------------------------------------- | ------------- | ----------- | ------------- |
| languages, services, locations (read)       | yes           | yes         | yes           |
| sessions, slots, options (read)             | yes           | yes         | yes           |
| publish and cancel sessions                 | -             | -           | yes           |
| visitors, bookings, waiting list            | yes           | -           | -             |

A superuser holds every role. A signed-in user without a role gets 403, an anonymous one 401.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from . import roles

ANY_STAFF: frozenset[str] = frozenset(roles.ALL)
PERSONAL_DATA: frozenset[str] = frozenset({roles.COUNTER_STAFF})
PUBLISHING: frozenset[str] = frozenset({roles.SERVICE_OWNER})


class HasStaffRole(BasePermission):
    """Any of the staff roles. A view narrows this down with `required_roles`, per action:
    `{"default": ANY_STAFF, "create": PUBLISHING}`."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        held = roles.roles_of(request.user)
        return bool(held & set(required_roles(view)))


def required_roles(view: Any) -> Collection[str]:
    by_action: dict[str, Collection[str]] = getattr(view, "required_roles", {})
    action = getattr(view, "action", None)
    if action in by_action:
        return by_action[action]
    return by_action.get("default", ANY_STAFF)
