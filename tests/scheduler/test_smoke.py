from scheduler import services
from scheduler.models import Channel


def test_amina_books_and_gets_a_confirmation(
    appointments, amina, sms_outbox, django_capture_on_commit_callbacks
):
    slot = appointments.slots.first()
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.book(slot=slot, visitor=amina, channel=Channel.SMS)
    assert booking.interpreter_status == "confirmed"
    print(sms_outbox)
    assert len(sms_outbox) == 1
