"""Staff roles are Django groups. A user's role decides what the API and the staff pages let
them do; the admin uses Django's own model permissions on top.

The permissions each role gets in the admin are written down here, in code, and given to the
groups after every `migrate` (see `SchedulerConfig.ready`): a role means the same thing on every
server, and a change to it is reviewed like any other change.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

COUNTER_STAFF = "counter_staff"
COORDINATOR = "coordinator"
SERVICE_OWNER = "service_owner"

ALL = (COUNTER_STAFF, COORDINATOR, SERVICE_OWNER)

# Role -> "app_label.codename" model permissions. Bookings and waiting-list entries change only
# through the door (admin actions, counter pages, API); "change_booking" and
# "change_waitlistentry" are what let counter staff run those actions. No "add_" permission for
# slots, bookings or waiting-list entries: their add pages refuse everyone (only the door makes
# them). Bookings and waiting-list entries name visitors and their topics, so only the role that
# works with personal data sees them.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    SERVICE_OWNER: (
        "scheduler.add_session",
        "scheduler.change_session",
        "scheduler.view_session",
        "scheduler.view_slot",
        "scheduler.add_service",
        "scheduler.change_service",
        "scheduler.view_service",
        "scheduler.add_location",
        "scheduler.change_location",
        "scheduler.view_location",
        "scheduler.add_room",
        "scheduler.change_room",
        "scheduler.view_room",
        "scheduler.add_sessionlanguage",
        "scheduler.change_sessionlanguage",
        "scheduler.view_sessionlanguage",
        "scheduler.view_auditentry",
        # Publishing a session means choosing its languages.
        "interpreters.view_language",
    ),
    COUNTER_STAFF: (
        "scheduler.view_session",
        "scheduler.view_sessionlanguage",
        "scheduler.view_slot",
        "scheduler.view_service",
        "scheduler.view_location",
        "scheduler.view_room",
        "scheduler.add_visitor",
        "scheduler.change_visitor",
        "scheduler.view_visitor",
        "scheduler.change_booking",
        "scheduler.view_booking",
        "scheduler.change_waitlistentry",
        "scheduler.view_waitlistentry",
        "interpreters.view_language",
    ),
    COORDINATOR: (
        "scheduler.view_session",
        # Which languages a session offers is what a coordinator looks for.
        "scheduler.view_sessionlanguage",
        "scheduler.view_slot",
        "interpreters.view_language",
        "interpreters.change_language",
    ),
}


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> set[str]:
    if not user or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(ALL)
    return set(user.groups.filter(name__in=ALL).values_list("name", flat=True))


def grant_role_permissions(using: str = DEFAULT_DB_ALIAS) -> None:
    """Give each role's group exactly the permissions in `PERMISSIONS`. Safe to run any number
    of times; a permission that does not exist yet (its app not migrated) is skipped, and the
    next `migrate` adds it."""
    for role, perms in PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        wanted = Q()
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.using(using).filter(wanted))
