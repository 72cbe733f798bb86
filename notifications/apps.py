from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Messages"

    def ready(self) -> None:
        from scheduler.signals import events_recorded

        from .tasks import kick_relay

        events_recorded.connect(kick_relay, dispatch_uid="notifications.kick_relay")
        from . import checks  # noqa: F401  (registers the SMS gateway checks)
