import logging

from celery import shared_task

from . import relay

logger = logging.getLogger(__name__)


@shared_task(name="notifications.relay_outbox", ignore_result=True)
def relay_outbox() -> dict[str, int]:
    return relay.relay_outbox().as_dict()


def kick_relay(**_kwargs: object) -> None:
    """Ask a worker to relay now. If the broker cannot be reached the booking still stands: the
    beat sweep sends its message within `OUTBOX_SWEEP_SECONDS`."""
    try:
        relay_outbox.apply_async(retry=False)
    except Exception:  # the broker is down or refusing; nothing is lost
        logger.warning("Could not reach the broker; the outbox sweep will relay.", exc_info=True)
