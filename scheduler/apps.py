from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_role_permissions(using: str = "default", **_kwargs: object) -> None:
    from . import roles

    roles.grant_role_permissions(using=using)


class SchedulerConfig(AppConfig):
    name = "scheduler"
    verbose_name = "Sessions and bookings"

    def ready(self) -> None:
        # Permissions exist only once `migrate` has created them (auth's own post_migrate
        # handler, which runs before this one for this app), so roles are granted after it.
        post_migrate.connect(
            _grant_role_permissions, sender=self, dispatch_uid="scheduler.grant_role_permissions"
        )
