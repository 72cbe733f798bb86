"""The outbox relay: turns booking events into messages, and sends queued messages.

Both steps claim their rows before working on them -- `SELECT ... FOR UPDATE SKIP LOCKED` to pick,
then a compare-and-set update to mark -- so two workers (or a worker and the beat sweep) never
take the same row. A claim older than `OUTBOX_CLAIM_TIMEOUT_SECONDS` belonged to a worker that
died, and may be taken again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import asdict, dataclass
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from scheduler.models import Event

from .gateways import GatewayError, get_gateway
from .messages import drafts_for
from .models import OutboundMessage

logger = logging.getLogger(__name__)

# After a failure that may pass (the provider is down, a timeout), wait before the next try, twice
# as long each time: eight attempts then cover about an hour of outage instead of 40 seconds.
RETRY_FIRST_DELAY = dt.timedelta(seconds=30)
RETRY_MAX_DELAY = dt.timedelta(hours=1)

M = TypeVar("M", Event, OutboundMessage)


@dataclass
class RelayReport:
    events: int = 0
    messages_sent: int = 0
    messages_failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def relay_outbox() -> RelayReport:
    """Turn unrelayed events into queued messages, then send the queued messages that are due."""
    report = RelayReport()
    unrelayed = Event.objects.filter(relayed_at__isnull=True)
    for event in _claim(unrelayed, "booking__visitor__language", "waitlist_entry__visitor"):
        try:
            with transaction.atomic():
                for draft in drafts_for(event):
                    # The unique (event, visitor) constraint makes this safe to repeat: a relay
                    # that took over a stale claim finds the message already written.
                    OutboundMessage.objects.get_or_create(
                        event=event,
                        visitor=draft.visitor,
                        defaults={
                            "to": draft.visitor.phone,
                            "language": draft.language,
                            "body": draft.body,
                        },
                    )
                Event.objects.filter(pk=event.pk, claim_token=event.claim_token).update(
                    relayed_at=timezone.now(), last_error=""
                )
            report.events += 1
        except Exception as exc:  # one bad event must not stop the others
            logger.exception("outbox event %s could not be turned into messages", event.pk)
            Event.objects.filter(pk=event.pk, claim_token=event.claim_token).update(
                claimed_at=None, last_error=repr(exc)[:2000]
            )
            if event.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                # No sweep will take it again: say so loudly, a visitor is missing a message.
                logger.error(
                    "outbox event %s gave up after %s attempts; its visitor got no message",
                    event.pk,
                    event.attempts,
                )

    gateway = get_gateway()
    now = timezone.now()
    # A worker that died during a message's last attempt left it claimed and out of attempts:
    # say so, rather than leave it queued for ever.
    OutboundMessage.objects.filter(
        status=OutboundMessage.Status.QUEUED,
        attempts__gte=settings.OUTBOX_MAX_ATTEMPTS,
        claimed_at__lt=now - dt.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS),
    ).update(status=OutboundMessage.Status.FAILED, last_error="No attempts left.")
    due = OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    )
    for message in _claim(due, "visitor"):
        # Renew the claim right before sending: if this batch ran so long that another relay
        # took the message over as stale, that relay sends it and this one must not.
        if not OutboundMessage.objects.filter(
            pk=message.pk, claim_token=message.claim_token, status=OutboundMessage.Status.QUEUED
        ).update(claimed_at=timezone.now()):
            continue
        if message.visitor is not None and not message.visitor.can_receive_sms:
            # Opted out after the message was written (while a provider was down, say).
            _failed(message, Exception("The visitor no longer takes SMS."), permanent=True)
            report.messages_failed += 1
            continue
        try:
            provider_id = gateway.send(message.to.as_e164, message.body)
        except Exception as exc:
            # A GatewayError says whether trying again can help; anything else (a bug in a
            # provider library, a dropped connection) is treated as passing, within the attempts.
            permanent = isinstance(exc, GatewayError) and exc.permanent
            if not isinstance(exc, GatewayError):
                logger.exception("gateway crashed sending message %s", message.pk)
            _failed(message, exc, permanent=permanent)
            report.messages_failed += 1
            continue
        OutboundMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
            status=OutboundMessage.Status.SENT,
            provider_id=provider_id,
            sent_at=timezone.now(),
            last_error="",
        )
        report.messages_sent += 1
    return report


def _failed(message: OutboundMessage, exc: Exception, *, permanent: bool) -> None:
    give_up = permanent or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    delay = min(RETRY_FIRST_DELAY * 2 ** max(message.attempts - 1, 0), RETRY_MAX_DELAY)
    OutboundMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
        status=OutboundMessage.Status.FAILED if give_up else OutboundMessage.Status.QUEUED,
        claimed_at=None,
        retry_at=None if give_up else timezone.now() + delay,
        last_error=(str(exc) or repr(exc))[:2000],
    )


def _claim(pending: QuerySet[M], *related: str) -> list[M]:
    """Claim a batch of `pending` rows for this run and return them, freshly read, with the
    `related` rows each one will need (one query, not one per row)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    claimable = pending.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale)).filter(
        attempts__lt=settings.OUTBOX_MAX_ATTEMPTS
    )
    token = str(uuid.uuid4())
    with transaction.atomic():
        ids = list(
            claimable.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[: settings.OUTBOX_BATCH_SIZE]
        )
        # The filter is repeated in the update: where row locks do not exist (SQLite), this
        # compare-and-set is what keeps a second claimer off.
        claimable.filter(pk__in=ids).update(
            claimed_at=now, claim_token=token, attempts=F("attempts") + 1
        )
    return list(
        pending.model.objects.filter(claim_token=token, claimed_at=now)
        .select_related(*related)
        .order_by("pk")
    )
