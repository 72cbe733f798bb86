"""Staff roles are Django groups. A user's role decides what the API and the staff pages let
them do; the admin uses Django's own model permissions on top."""

COUNTER_STAFF = "counter_staff"
COORDINATOR = "coordinator"
SERVICE_OWNER = "service_owner"

ALL = (COUNTER_STAFF, COORDINATOR, SERVICE_OWNER)


def roles_of(user) -> set[str]:
    if not user or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(ALL)
    return set(user.groups.filter(name__in=ALL).values_list("name", flat=True))
