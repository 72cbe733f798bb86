from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField

from scheduler.models import Event, Visitor


class OutboundMessage(models.Model):
    """One SMS to one phone, made from one outbox event. Written before it is sent, so that a
    crash between the two sends at most a duplicate, never nothing."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    visitor = models.ForeignKey(
        Visitor, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    to = PhoneNumberField()
    language = models.CharField(max_length=16)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # After a failure that may pass: not tried again before this moment.
    retry_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One message per event and visitor: a relay that runs twice writes it once.
            models.UniqueConstraint(fields=["event", "visitor"], name="message_once_per_event"),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(status="queued"), name="message_queued_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.kind} to visitor {self.visitor_id} ({self.status})"
