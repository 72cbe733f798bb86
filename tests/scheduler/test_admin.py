"""The Django admin: Olga publishes sessions, Sam looks things up, and every change goes through
the door. Refusals are form errors or messages, never a server error."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from interpreters.models import Language
from scheduler import roles, services
from scheduler.models import (
    AuditEntry,
    Booking,
    Channel,
    Event,
    Session,
    Slot,
    Visitor,
    WaitlistEntry,
)
from tests.conftest import at

pytestmark = pytest.mark.django_db

MODELS = [
    ("interpreters", "language"),
    ("scheduler", "location"),
    ("scheduler", "service"),
    ("scheduler", "session"),
    ("scheduler", "slot"),
    ("scheduler", "visitor"),
    ("scheduler", "booking"),
    ("scheduler", "event"),
    ("scheduler", "waitlistentry"),
    ("scheduler", "auditentry"),
]
# Made only through the door (publishing, booking, the outbox, the audit trail, the channels).
NO_ADD_PAGE = {"slot", "booking", "event", "waitlistentry", "auditentry"}


def staff_client(user: User) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seeded(db) -> None:
    call_command("seed_demo", force=True, stdout=StringIO())


def session_form(
    *, service, location, kind, start, end, capacity=1, room=None, offers=(), repeat_weeks=0
):
    data = {
        "service": service.pk,
        "location": location.pk,
        "room": room.pk if room else "",
        "kind": kind,
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": start.strftime("%H:%M"),
        "ends_at_0": end.strftime("%Y-%m-%d"),
        "ends_at_1": end.strftime("%H:%M"),
        "capacity": capacity,
        "repeat_weeks": repeat_weeks,
        "notes": "",
        "offered-TOTAL_FORMS": 3,
        "offered-INITIAL_FORMS": 0,
        "offered-MIN_NUM_FORMS": 0,
        "offered-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    # Three rows, as the page shows them; the unused ones as a browser sends them.
    rows = [*offers, *[(None, "interpreter", None)] * (3 - len(offers))]
    for i, (language, support, places) in enumerate(rows):
        data[f"offered-{i}-language"] = language.pk if language else ""
        data[f"offered-{i}-support"] = support
        data[f"offered-{i}-places"] = places if places is not None else ""
    return data


def visitor_form(**fields) -> dict:
    """The visitor page's form as a browser sends it (with SMS consent ticked, no bookings)."""
    return {
        "sms_consent": "on",
        "bookings-TOTAL_FORMS": 0,
        "bookings-INITIAL_FORMS": 0,
        "bookings-MIN_NUM_FORMS": 0,
        "bookings-MAX_NUM_FORMS": 1000,
        "_save": "Save",
        **fields,
    }


ADD_SESSION = "admin:scheduler_session_add"


# --- every page opens ------------------------------------------------------------------------


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_every_changelist_add_and_change_page_opens_for_a_superuser(admin_client, seeded, app,
                                                                    model):
    assert admin_client.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 200
    add = admin_client.get(reverse(f"admin:{app}_{model}_add"))
    assert add.status_code == (403 if model in NO_ADD_PAGE else 200)
    obj = admin_client.get(reverse(f"admin:{app}_{model}_changelist")).context["cl"].result_list
    assert obj, f"the demo data has no {model}"
    change = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj[0].pk]))
    assert change.status_code == 200


def test_the_session_list_filters_by_date_and_language(admin_client, seeded):
    url = reverse("admin:scheduler_session_changelist")
    tigrinya = Language.objects.get(code="ti")
    response = admin_client.get(url, {"languages__id__exact": tigrinya.pk})
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert listed
    assert all(tigrinya in s.languages.all() for s in listed)
    tomorrow = at(1, 0)
    response = admin_client.get(
        url,
        {
            "starts_at__year": tomorrow.year,
            "starts_at__month": tomorrow.month,
            "starts_at__day": tomorrow.day,
        },
    )
    listed = list(response.context["cl"].result_list)
    assert listed
    assert {timezone.localdate(s.starts_at) for s in listed} == {tomorrow.date()}


def test_a_booking_is_found_by_its_reference(admin_client, seeded):
    booking = Booking.objects.first()
    response = admin_client.get(
        reverse("admin:scheduler_booking_changelist"), {"q": booking.reference}
    )
    assert list(response.context["cl"].result_list) == [booking]


# --- publishing ------------------------------------------------------------------------------


def test_olga_publishes_a_walk_in_hour_through_the_admin(
    olga, walk_in_service, town_hall, languages
):
    client = staff_client(olga)
    assert client.get(reverse(ADD_SESSION)).status_code == 200
    response = client.post(
        reverse(ADD_SESSION),
        session_form(
            service=walk_in_service,
            location=town_hall,
            room=town_hall.rooms.get(),
            kind="walk_in",
            start=at(2, 13),
            end=at(2, 15),
            capacity=10,
            offers=[(languages["ti"], "peer_expert", 3), (languages["ar"], "interpreter", None)],
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    session = Session.objects.get()
    assert (session.starts_at, session.ends_at) == (at(2, 13), at(2, 15))
    slot = session.slots.get()
    assert (slot.capacity, slot.taken) == (10, 0)
    offered = {o.language.code: (o.support, o.places) for o in session.offered.all()}
    assert offered == {"ti": ("peer_expert", 3), "ar": ("interpreter", None)}
    assert AuditEntry.objects.filter(action="publish_session", actor=olga).exists()


def test_olga_publishes_a_weekly_walk_in_hour_for_three_weeks_at_once(
    olga, walk_in_service, town_hall
):
    response = staff_client(olga).post(
        reverse(ADD_SESSION),
        session_form(service=walk_in_service, location=town_hall, kind="walk_in",
                     start=at(2, 13), end=at(2, 15), capacity=8, repeat_weeks=2),
        follow=True,
    )

    starts = list(Session.objects.order_by("starts_at").values_list("starts_at", flat=True))
    assert starts == [at(2, 13), at(9, 13), at(16, 13)]
    assert "Published 3 weekly sessions." in response.content.decode()


def test_an_appointment_block_is_cut_into_the_services_duration(olga, intake, town_hall):
    client = staff_client(olga)
    response = client.post(
        reverse(ADD_SESSION),
        session_form(
            service=intake, location=town_hall, kind="appointments", start=at(1, 9), end=at(1, 11)
        ),
    )
    assert response.status_code == 302
    starts = [s.starts_at for s in Slot.objects.order_by("starts_at")]
    assert starts == [at(1, 9), at(1, 9, 30), at(1, 10), at(1, 10, 30)]


def test_a_start_in_the_past_is_a_form_error(olga, walk_in_service, town_hall):
    client = staff_client(olga)
    response = client.post(
        reverse(ADD_SESSION),
        session_form(
            service=walk_in_service,
            location=town_hall,
            kind="walk_in",
            start=at(-1, 13),
            end=at(-1, 15),
            capacity=5,
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["__all__"]
    assert "Het spreekuur moet in de toekomst beginnen." in errors
    assert not Session.objects.exists()


def test_a_block_shorter_than_one_appointment_is_a_form_error(olga, intake, town_hall):
    client = staff_client(olga)
    response = client.post(
        reverse(ADD_SESSION),
        session_form(
            service=intake, location=town_hall, kind="appointments", start=at(1, 9),
            end=at(1, 9, 20),
        ),
    )
    assert response.status_code == 200
    assert "korter dan één afspraak" in response.content.decode()
    assert not Session.objects.exists()


def test_a_room_already_in_use_is_a_form_error_on_the_room(
    olga, walk_in_service, intake, town_hall
):
    room = town_hall.rooms.get()
    services.publish_session(
        service=intake, location=town_hall, room=room, kind="appointments",
        starts_at=at(1, 9), ends_at=at(1, 11),
    )
    client = staff_client(olga)
    response = client.post(
        reverse(ADD_SESSION),
        session_form(
            service=walk_in_service, location=town_hall, room=room, kind="walk_in",
            start=at(1, 10), end=at(1, 12), capacity=8,
        ),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["room"] == [
        "De ruimte is op dit moment al in gebruik."
    ]
    assert Session.objects.count() == 1


def test_a_language_offered_twice_is_a_form_error(olga, walk_in_service, town_hall, languages):
    client = staff_client(olga)
    response = client.post(
        reverse(ADD_SESSION),
        session_form(
            service=walk_in_service, location=town_hall, kind="walk_in", start=at(1, 13),
            end=at(1, 15), capacity=8,
            offers=[(languages["ar"], "interpreter", None), (languages["ar"], "peer_expert", 2)],
        ),
    )
    assert response.status_code == 200
    assert not Session.objects.exists()


def test_a_published_sessions_times_cannot_be_changed_in_the_admin(olga, walk_in):
    client = staff_client(olga)
    url = reverse("admin:scheduler_session_change", args=[walk_in.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert set(form.fields) == {"hosts", "notes"}
    response = client.post(
        url,
        {"notes": "Bring the blue forms", "starts_at_0": "2030-01-01", "starts_at_1": "09:00",
         "offered-TOTAL_FORMS": 1, "offered-INITIAL_FORMS": 1, "offered-MIN_NUM_FORMS": 0,
         "offered-MAX_NUM_FORMS": 1000, "slots-TOTAL_FORMS": 1, "slots-INITIAL_FORMS": 1,
         "slots-MIN_NUM_FORMS": 0, "slots-MAX_NUM_FORMS": 1000, "_save": "Save"},
    )
    assert response.status_code == 302
    walk_in.refresh_from_db()
    assert walk_in.notes == "Bring the blue forms"
    assert walk_in.starts_at == at(1, 13)


def test_counter_staff_cannot_add_sessions(sam, walk_in_service, town_hall):
    client = staff_client(sam)
    assert client.get(reverse(ADD_SESSION)).status_code == 403
    response = client.post(
        reverse(ADD_SESSION),
        session_form(
            service=walk_in_service, location=town_hall, kind="walk_in", start=at(1, 13),
            end=at(1, 15), capacity=8,
        ),
    )
    assert response.status_code == 403
    assert not Session.objects.exists()
    # ...but can look them up.
    assert client.get(reverse("admin:scheduler_session_changelist")).status_code == 200


# --- actions through the door ----------------------------------------------------------------


def test_cancelling_a_session_asks_first_then_cancels_its_bookings_through_the_door(
    olga, appointments, amina
):
    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
    client = staff_client(olga)
    url = reverse("admin:scheduler_session_changelist")
    action = {"action": "cancel_sessions", "_selected_action": [appointments.pk]}

    confirm = client.post(url, action)
    assert confirm.status_code == 200
    assert "1 booked" in confirm.content.decode()
    assert Session.objects.get().status == Session.Status.PUBLISHED

    response = client.post(url, {**action, "confirm": "yes", "reason": "Interpreter ill"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Session.objects.get().status == Session.Status.CANCELLED
    event = Event.objects.get(booking=booking, kind=Event.Kind.CANCELLED)
    assert event.data["session_cancelled"] is True
    audit = AuditEntry.objects.get(action="cancel_session")
    assert (audit.actor, audit.detail["reason"]) == (olga, "Interpreter ill")


def test_a_session_cancelled_meanwhile_by_someone_else_is_a_message_not_an_error(
    olga, appointments, amina
):
    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
    url = reverse("admin:scheduler_session_changelist")
    asked = {"action": "cancel_sessions", "_selected_action": [appointments.pk]}
    confirmed = {**asked, "confirm": "yes"}
    olaf = User.objects.create_user("olaf", password="x")
    olaf.groups.add(Group.objects.get(name=roles.SERVICE_OWNER))
    as_olga, as_olaf = staff_client(olga), staff_client(olaf)
    # Both open the confirmation page; Olaf confirms first.
    assert "1 booked" in as_olga.post(url, asked).content.decode()
    assert "1 booked" in as_olaf.post(url, asked).content.decode()
    as_olaf.post(url, confirmed)

    response = as_olga.post(url, confirmed, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Not changed (1)" in page
    assert "Dit spreekuur was al afgelast." in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    # One cancellation, one message to the visitor, by the one who did it.
    assert Event.objects.filter(booking=booking, kind=Event.Kind.CANCELLED).count() == 1
    assert AuditEntry.objects.get(action="cancel_session").actor == olaf


def test_sam_checks_in_a_booking_when_check_in_is_open(sam, appointments, amina, frozen_time):
    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
    client = staff_client(sam)
    url = reverse("admin:scheduler_booking_changelist")
    action = {"action": "check_in", "_selected_action": [booking.pk]}

    # The day before, the door refuses: a message, not an error page.
    response = client.post(url, action, follow=True)
    assert response.status_code == 200
    assert "Aanmelden kan vanaf twee uur voor het begin." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED

    frozen_time.move_to(at(1, 8, 30))
    client.force_login(sam)  # yesterday's sign-in has run out
    client.post(url, action)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CHECKED_IN
    assert Event.objects.filter(booking=booking, kind=Event.Kind.CHECKED_IN, actor=sam).exists()


def test_sam_tells_visitors_in_one_go_that_no_interpreter_was_found(sam, appointments, yonas,
                                                                   saba):
    first, second = appointments.slots.order_by("starts_at")[:2]
    bookings = [
        services.book(slot=first, visitor=yonas, channel=Channel.SMS),
        services.book(slot=second, visitor=saba, channel=Channel.SMS),
    ]

    staff_client(sam).post(
        reverse("admin:scheduler_booking_changelist"),
        {"action": "interpreter_unavailable", "_selected_action": [b.pk for b in bookings]},
    )

    assert set(Booking.objects.values_list("interpreter_status", flat=True)) == {"unavailable"}
    assert Event.objects.filter(kind="interpreter_changed", actor=sam).count() == 2


def test_sam_cancels_a_booking_and_the_place_comes_free(sam, appointments, amina):
    slot = appointments.slots.first()
    booking = services.book(slot=slot, visitor=amina, channel=Channel.SMS)
    client = staff_client(sam)
    client.post(
        reverse("admin:scheduler_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [booking.pk]},
    )
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert slot.taken == 0


def test_a_booking_page_is_read_only(sam, appointments, amina):
    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS)
    client = staff_client(sam)
    url = reverse("admin:scheduler_booking_change", args=[booking.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert client.post(url, {"status": "served"}).status_code == 403
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_sam_takes_a_visitor_off_the_waiting_list_through_the_door(sam, amina, intake):
    entry = services.join_waitlist(
        visitor=amina, service=intake, channel=Channel.SMS,
        earliest=at(1, 0).date(), latest=at(7, 0).date(),
    )
    client = staff_client(sam)
    url = reverse("admin:scheduler_waitlistentry_changelist")
    assert client.get(url).status_code == 200

    response = client.post(
        url, {"action": "take_off_waitlist", "_selected_action": [entry.pk]}, follow=True
    )

    assert "1 taken off the waiting list." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT
    assert AuditEntry.objects.filter(actor=sam, object_id=str(entry.pk)).exists()


def test_only_counter_staff_see_the_waiting_list(olga, carla):
    for user in (olga, carla):
        client = staff_client(user)
        assert client.get(reverse("admin:scheduler_waitlistentry_changelist")).status_code == 403


# --- personal data ---------------------------------------------------------------------------


def test_visitor_phones_stay_off_the_list_and_opening_a_visitor_is_audited(sam, amina):
    client = staff_client(sam)
    listing = client.get(reverse("admin:scheduler_visitor_changelist")).content.decode()
    assert "Amina" in listing
    assert "612345678" not in listing
    detail = client.get(reverse("admin:scheduler_visitor_change", args=[amina.pk]))
    assert "612345678" in detail.content.decode()
    assert AuditEntry.objects.filter(
        action="view", object_type="visitor", object_id=str(amina.pk), actor=sam
    ).exists()


def test_counter_staff_find_a_visitor_by_the_number_as_they_say_it(sam, amina):
    client = staff_client(sam)
    response = client.get(reverse("admin:scheduler_visitor_changelist"), {"q": "06 1234 5678"})
    assert list(response.context["cl"].result_list) == [amina]


def test_each_visitor_a_search_finds_is_recorded_but_the_plain_list_is_not(
    sam, amina, yonas, saba
):
    client = staff_client(sam)
    url = reverse("admin:scheduler_visitor_changelist")
    client.get(url)
    assert not AuditEntry.objects.exists()

    client.get(url, {"q": "06 8765 4321"})  # Yonas and his sister share the phone

    looked_up = AuditEntry.objects.filter(action="search", object_type="visitor", actor=sam)
    assert sorted(looked_up.values_list("object_id", flat=True)) == sorted(
        [str(yonas.pk), str(saba.pk)]
    )


def test_opening_a_booking_is_recorded_in_the_audit_trail(sam, appointments, amina):
    booking = services.book(slot=appointments.slots.first(), visitor=amina, channel=Channel.SMS,
                            topic="Letter from the IND")
    page = staff_client(sam).get(reverse("admin:scheduler_booking_change", args=[booking.pk]))
    assert "Letter from the IND" in page.content.decode()
    assert AuditEntry.objects.filter(
        action="view", object_type="booking", object_id=str(booking.pk), actor=sam
    ).exists()


def test_opening_a_waiting_list_entry_is_recorded_in_the_audit_trail(sam, amina, intake):
    entry = services.join_waitlist(
        visitor=amina, service=intake, channel=Channel.SMS,
        earliest=at(1, 0).date(), latest=at(7, 0).date(),
    )
    page = staff_client(sam).get(reverse("admin:scheduler_waitlistentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert AuditEntry.objects.filter(
        action="view", object_type="waitlistentry", object_id=str(entry.pk), actor=sam
    ).exists()


def test_only_roles_with_the_visitor_permission_see_visitors(olga, carla, amina):
    for user in (olga, carla):
        client = staff_client(user)
        url = reverse("admin:scheduler_visitor_change", args=[amina.pk])
        assert client.get(url).status_code == 403
    # A refused look is no look.
    assert not AuditEntry.objects.filter(action="view").exists()


def test_a_visitor_added_in_the_admin_is_registered_through_the_door(sam, languages):
    client = staff_client(sam)
    response = client.post(
        reverse("admin:scheduler_visitor_add"),
        visitor_form(
            name="Oksana",
            phone="06 1234 0004",
            language=languages["uk"].pk,
            second_language=languages["en"].pk,
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    visitor = Visitor.objects.get()
    assert str(visitor.phone) == "+31612340004"
    assert AuditEntry.objects.filter(
        action="register_visitor", object_id=str(visitor.pk), actor=sam
    ).exists()


# --- roles -----------------------------------------------------------------------------------


def test_roles_get_their_admin_permissions_after_migrate(olga, sam, carla):
    assert olga.has_perm("scheduler.add_session")
    assert sam.has_perm("scheduler.change_booking")
    assert sam.has_perm("scheduler.change_waitlistentry")
    assert sam.has_perm("scheduler.add_visitor")
    assert not sam.has_perm("scheduler.add_session")
    assert carla.has_perm("interpreters.change_language")
    assert not carla.has_perm("scheduler.view_visitor")


def test_only_counter_staff_see_bookings_for_they_name_visitors_and_topics(olga, carla, sam):
    assert sam.has_perm("scheduler.view_booking")
    for user in (olga, carla):
        assert not user.has_perm("scheduler.view_booking")
        assert not user.has_perm("scheduler.view_waitlistentry")
        client = staff_client(user)
        assert client.get(reverse("admin:scheduler_booking_changelist")).status_code == 403


def test_no_role_holds_a_permission_for_a_page_that_refuses_everyone(olga, sam, carla):
    # Slots, bookings and waiting-list entries are made only by the door: no add page.
    for user in (olga, sam, carla):
        for model in ("slot", "booking", "waitlistentry"):
            assert not user.has_perm(f"scheduler.add_{model}"), (user, model)
    # A slot is cut by publishing and never edited.
    assert not olga.has_perm("scheduler.change_slot")


def test_granting_role_permissions_twice_changes_nothing(olga):
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    roles.grant_role_permissions()
    roles.grant_role_permissions()
    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert before == after


def test_a_visitor_changed_in_the_admin_is_updated_through_the_door(sam, amina, languages):
    client = staff_client(sam)
    response = client.post(
        reverse("admin:scheduler_visitor_change", args=[amina.pk]),
        visitor_form(
            name="Amina H.",
            phone="+31612345678",
            language=languages["ar"].pk,
            second_language=languages["nl"].pk,
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    amina.refresh_from_db()
    assert (amina.name, amina.second_language.code) == ("Amina H.", "nl")
    audit = AuditEntry.objects.get(action="update_visitor", actor=sam)
    assert audit.detail["fields"] == ["name", "second_language"]


def test_olga_unpublishes_a_session_from_the_admin_list(olga, walk_in):
    staff_client(olga).post(
        reverse("admin:scheduler_session_changelist"),
        {"action": "unpublish_sessions", "_selected_action": [walk_in.pk]},
    )

    assert Session.objects.get(pk=walk_in.pk).status == Session.Status.UNPUBLISHED
