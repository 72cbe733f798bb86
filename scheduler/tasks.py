from celery import shared_task

from . import services


@shared_task(name="scheduler.expire_waitlist_offers")
def expire_waitlist_offers() -> int:
    return services.expire_waitlist_offers()
