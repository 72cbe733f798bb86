"""When nothing fits, Sam puts a visitor on the waiting list; a freed place is held for them and
turned into a booking when they accept."""

from scheduler.models import AuditEntry, WaitlistEntry

from .conftest import assert_error, book, snapshot

TUESDAY = "2026-03-03"


def join(client, visitor, service="intake", **extra):
    body = {"visitor": visitor.pk, "service": service, "earliest": TUESDAY, "latest": TUESDAY}
    return client.post("/api/v1/waitlist/", body | extra, format="json")


def test_sam_puts_amina_on_the_waiting_list(as_sam, appointments, amina):
    response = join(as_sam, amina)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["service"], body["language"]) == ("waiting", "intake", "ar")
    assert as_sam.get(f"/api/v1/waitlist/?visitor={amina.pk}").json()["count"] == 1
    assert as_sam.get(f"/api/v1/waitlist/{body['id']}/").json()["id"] == body["id"]


def test_a_visitor_waits_only_once_per_service(as_sam, appointments, amina):
    join(as_sam, amina)
    before = snapshot()
    assert_error(join(as_sam, amina), 409, "already_waiting")
    assert snapshot() == before


def test_a_backwards_range_is_refused(as_sam, appointments, amina):
    response = join(as_sam, amina, earliest="2026-03-05", latest=TUESDAY)
    assert_error(response, 400, "invalid")


def test_a_freed_place_is_offered_and_accepting_it_makes_a_booking(
    as_sam, appointments, amina, saba
):
    slot = appointments.slots.first()
    sabas = book(slot, saba)
    for other in appointments.slots.exclude(pk=slot.pk):
        book(other, saba)
    entry_id = join(as_sam, amina).json()["id"]

    as_sam.post(f"/api/v1/bookings/{sabas.reference}/cancel/")
    entry = as_sam.get(f"/api/v1/waitlist/{entry_id}/").json()
    assert (entry["status"], entry["offered_slot"]) == ("offered", slot.pk)

    response = as_sam.post(f"/api/v1/waitlist/{entry_id}/accept/")

    assert response.status_code == 201, response.content
    assert response.json()["visitor"] == amina.pk
    assert response.json()["slot"] == slot.pk
    assert (
        as_sam.get(f"/api/v1/waitlist/{entry_id}/").json()["booking"]
        == (response.json()["reference"])
    )


def test_accepting_without_an_offer_is_refused(as_sam, appointments, amina):
    entry_id = join(as_sam, amina).json()["id"]
    before = snapshot()
    assert_error(as_sam.post(f"/api/v1/waitlist/{entry_id}/accept/"), 409, "offer_expired")
    assert snapshot() == before


def test_a_visitor_leaves_the_waiting_list_once(as_sam, appointments, amina, yonas):
    entry_id = join(as_sam, amina).json()["id"]
    other_id = join(as_sam, yonas).json()["id"]

    assert as_sam.delete(f"/api/v1/waitlist/{entry_id}/").status_code == 204
    left = as_sam.post(f"/api/v1/waitlist/{other_id}/leave/")

    assert left.status_code == 200, left.content
    assert left.json()["status"] == "left"
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"left"}
    before = snapshot()
    assert_error(as_sam.delete(f"/api/v1/waitlist/{entry_id}/"), 409, "waitlist_entry_closed")
    assert snapshot() == before


def test_reading_a_waiting_list_entry_is_recorded_in_the_audit_trail(as_sam, appointments, amina):
    entry_id = join(as_sam, amina).json()["id"]

    assert as_sam.get(f"/api/v1/waitlist/{entry_id}/").status_code == 200

    assert AuditEntry.objects.filter(
        action="view", object_type="waitlistentry", object_id=str(entry_id), actor_username="sam"
    ).exists()


def test_listing_one_visitors_waiting_list_entries_is_recorded(as_sam, appointments, amina):
    entry_id = join(as_sam, amina).json()["id"]

    assert as_sam.get(f"/api/v1/waitlist/?visitor={amina.pk}").json()["count"] == 1

    assert AuditEntry.objects.filter(
        action="search", object_type="waitlistentry", object_id=str(entry_id)
    ).exists()
