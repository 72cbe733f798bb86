"""Registering visitors: a phone number is checked, and may be left out at the counter."""

import pytest

from scheduler import errors, services
from scheduler.models import AuditEntry, Visitor


def test_a_dutch_mobile_number_is_stored_in_international_form(languages, sam):
    visitor = services.register_visitor(phone="06 1234 5678", language=languages["ar"], actor=sam)

    assert visitor.phone.as_e164 == "+31612345678"
    assert AuditEntry.objects.filter(action="register_visitor", actor=sam).count() == 1


def test_a_visitor_without_a_phone_can_be_registered_at_the_counter(languages, sam):
    visitor = services.register_visitor(language=languages["ti"], actor=sam)

    assert not visitor.phone
    assert visitor.can_receive_sms is False


@pytest.mark.parametrize("phone", ["12", "+31 6 123", "not a number", "+999123456789"])
def test_a_malformed_phone_number_is_refused_and_nothing_is_saved(languages, phone):
    with pytest.raises(errors.InvalidRequest) as refused:
        services.register_visitor(phone=phone, language=languages["ar"])

    assert refused.value.code == "invalid"
    assert "phone" in refused.value.detail
    assert not Visitor.objects.exists()


def test_giving_consent_again_clears_an_earlier_opt_out(amina, languages, frozen_time):
    from django.utils import timezone

    amina.sms_opted_out_at = timezone.now()
    amina.save()

    services.update_visitor(amina, sms_consent=True, second_language=languages["nl"])

    amina.refresh_from_db()
    assert amina.can_receive_sms
    assert amina.second_language.code == "nl"


def test_only_known_fields_can_be_changed(amina):
    with pytest.raises(errors.InvalidRequest):
        services.update_visitor(amina, sms_opted_out_at=None)
