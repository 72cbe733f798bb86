"""Domain errors with stable codes. Every channel words them in its own way: the API as JSON, the
SMS dialog and the phone menu in the visitor's language, the counter pages as a form error."""

from django.utils.translation import gettext_lazy as _


class BookingError(Exception):
    code = "booking_error"
    http_status = 409
    message = _("The booking could not be changed.")

    def __init__(self, detail: str | None = None):
        # `detail` may be a lazy translation: it is worded in the language of whoever reads it.
        self.detail = detail or self.message
        super().__init__(self.detail)


class NotFound(BookingError):
    code = "not_found"
    http_status = 404
    message = _("Not found.")


class InvalidRequest(BookingError):
    code = "invalid"
    http_status = 400
    message = _("The request is not valid.")


class SlotFull(BookingError):
    code = "slot_full"
    message = _("There is no place left at this time.")


class LanguageFull(BookingError):
    code = "language_full"
    message = _("There is no place left for this language at this walk-in hour.")


class AlreadyBooked(BookingError):
    code = "already_booked"
    message = _("This visitor already has a booking at this time.")


class TooLate(BookingError):
    code = "too_late"
    message = _("This time has already started or passed.")


class TooLateToCancel(BookingError):
    code = "too_late_to_cancel"
    message = _("It is too late to cancel or move this booking yourself; please call or come by.")


class TooEarly(BookingError):
    code = "too_early"
    message = _("It is too early for this.")


class BeyondHorizon(BookingError):
    code = "beyond_horizon"
    message = _("This time is too far ahead to book yet.")


class SessionCancelled(BookingError):
    code = "session_cancelled"
    message = _("This session has been cancelled.")


class SessionNotPublished(BookingError):
    code = "session_not_published"
    message = _("This session is not open for booking.")


class ChannelNotAllowed(BookingError):
    code = "channel_not_allowed"
    http_status = 403
    message = _("This service cannot be booked this way.")


class InvalidTransition(BookingError):
    code = "invalid_transition"
    message = _("This booking cannot change to that status.")


class IdempotencyKeyReused(BookingError):
    code = "idempotency_key_reused"
    http_status = 422
    message = _("This Idempotency-Key was used before with a different request.")


class AlreadyWaiting(BookingError):
    code = "already_waiting"
    message = _("This visitor is already on the waiting list for this service.")


class OfferExpired(BookingError):
    code = "offer_expired"
    message = _("This offer is no longer open.")


class RoomTaken(BookingError):
    code = "room_taken"
    message = _("The room is already in use at this time.")


class InvalidSession(BookingError):
    code = "invalid_session"
    http_status = 400
    message = _("The session's times do not fit.")


class WaitlistEntryClosed(BookingError):
    code = "waitlist_entry_closed"
    message = _("This waiting-list entry is no longer open.")
