import logging
import time

from celery import shared_task
from django.conf import settings

from . import relay

logger = logging.getLogger(__name__)

# How long a kick may wait for the broker. It runs in the request that committed the booking,
# so it must give up quickly: the beat sweep is the safety net, not the kick.
KICK_CONNECT_TIMEOUT_SECONDS = 1
# After a failed kick, later kicks in this process skip the broker until the next sweep is due:
# one booking can write several events, and each would otherwise wait that second again.
_broker_down_until = 0.0


@shared_task(name="notifications.relay_outbox", ignore_result=True)
def relay_outbox() -> dict[str, int]:
    """Turn new outbox events into messages and send what is queued. Safe to run twice, and by
    several workers at once: beat runs it every `OUTBOX_SWEEP_SECONDS`."""
    return relay.relay_outbox().as_dict()


def kick_relay(**_kwargs: object) -> None:
    """Ask a worker to relay now. If the broker cannot be reached the booking still stands: the
    beat sweep sends its message within `OUTBOX_SWEEP_SECONDS`."""
    app = relay_outbox.app
    if app.conf.task_always_eager:
        relay_outbox.apply_async()
        return
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return  # it just failed: don't make this request wait for it again
    # `retry=False` alone is not enough: the pooled connection still retries connecting for
    # `broker_connection_timeout` (seconds, in the booking request). One attempt, then give up.
    options = {
        **(app.conf.broker_transport_options or {}),
        "max_retries": 0,
        "connect_retries_timeout": KICK_CONNECT_TIMEOUT_SECONDS,
    }
    try:
        with app.connection_for_write(
            connect_timeout=KICK_CONNECT_TIMEOUT_SECONDS, transport_options=options
        ) as connection:
            relay_outbox.apply_async(retry=False, connection=connection)
    except Exception as exc:  # the broker is down or refusing; nothing is lost
        _broker_down_until = time.monotonic() + settings.OUTBOX_SWEEP_SECONDS
        logger.warning(
            "Could not reach the broker (%s); the outbox sweep will relay.", type(exc).__name__
        )
