"""Sam registers visitors at the counter, finds them by phone and corrects their details."""

import pytest

from scheduler.models import AuditEntry, Visitor

from .conftest import assert_error, snapshot


def test_sam_registers_a_visitor_with_a_dutch_mobile_number(as_sam, languages):
    response = as_sam.post(
        "/api/v1/visitors/",
        {"name": "Hevin", "phone": "06 1234 5679", "language": "ar", "second_language": "en"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+31612345679"
    assert (body["language"], body["second_language"]) == ("ar", "en")
    assert body["sms_consent"] is True
    assert Visitor.objects.get(pk=body["id"]).phone == "+31612345679"
    assert AuditEntry.objects.filter(action="register_visitor", actor_username="sam").exists()


def test_a_visitor_without_a_phone_can_be_registered_at_the_counter(as_sam, languages):
    response = as_sam.post("/api/v1/visitors/", {"language": "uk"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == ""


@pytest.mark.parametrize("phone", ["12345", "+31 6 1234", "not a phone", "+999123456789"])
def test_a_malformed_phone_is_refused_and_no_visitor_is_registered(as_sam, languages, phone):
    before = snapshot()
    response = as_sam.post("/api/v1/visitors/", {"phone": phone, "language": "ar"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert "phone" in body["errors"]
    assert snapshot() == before


def test_a_visitor_needs_a_known_language(as_sam, languages):
    body = assert_error(as_sam.post("/api/v1/visitors/", {}, format="json"), 400, "invalid")
    assert "language" in body["errors"]


def test_a_search_by_phone_finds_everyone_who_shares_it(as_sam, yonas, saba, amina):
    response = as_sam.get("/api/v1/visitors/", {"phone": "0687654321"})

    assert response.status_code == 200, response.content
    assert {v["name"] for v in response.json()["results"]} == {"Yonas", "Saba"}
    # Each visitor shown is a look at personal data, and recorded.
    assert AuditEntry.objects.filter(action="search", object_type="visitor").count() == 2


def test_the_visitor_list_is_only_a_search_by_phone(as_sam, amina):
    body = assert_error(as_sam.get("/api/v1/visitors/"), 400, "invalid")
    assert "phone" in body["errors"]
    assert_error(as_sam.get("/api/v1/visitors/?phone=abc"), 400, "invalid")


def test_looking_at_a_visitor_is_recorded_in_the_audit_trail(as_sam, amina):
    response = as_sam.get(f"/api/v1/visitors/{amina.pk}/")

    assert response.status_code == 200
    assert response.json()["phone"] == "+31612345678"
    entry = AuditEntry.objects.get(action="view")
    assert (entry.actor_username, entry.object_type, entry.object_id) == (
        "sam",
        "visitor",
        str(amina.pk),
    )


def test_sam_corrects_a_visitors_phone_and_name(as_sam, amina):
    response = as_sam.patch(
        f"/api/v1/visitors/{amina.pk}/",
        {"phone": "0611111111", "name": "Amina H."},
        format="json",
    )

    assert response.status_code == 200, response.content
    amina.refresh_from_db()
    assert (amina.phone, amina.name) == ("+31611111111", "Amina H.")
    assert response.json()["language"] == "ar"


def test_a_bad_correction_changes_nothing(as_sam, amina):
    before = snapshot()
    response = as_sam.patch(
        f"/api/v1/visitors/{amina.pk}/", {"phone": "0611", "name": "X"}, format="json"
    )
    assert_error(response, 400, "invalid")
    assert snapshot() == before


def test_a_visitor_cannot_be_replaced_whole(as_sam, amina):
    response = as_sam.put(f"/api/v1/visitors/{amina.pk}/", {"language": "ar"}, format="json")
    assert_error(response, 405, "method_not_allowed")
