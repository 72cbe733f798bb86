"""The Django admin: where service owners publish sessions and staff look things up.

Nothing here changes a booking, a slot or a session's times directly. Publishing, cancelling,
checking in and the rest go through `scheduler.services` (the one door), and its refusals are
shown as form errors or messages, never as a server error. What only the door may change is
read-only here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import errors, services
from .models import (
    AuditEntry,
    Booking,
    Channel,
    Event,
    Location,
    Room,
    Service,
    Session,
    SessionLanguage,
    Slot,
    Visitor,
    WaitlistEntry,
)
from .services import LanguageOffer


def _span(starts_at: Any, ends_at: Any) -> str:
    """'Tue 03 Mar 2026 09:00-12:00', in Amsterdam time."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    return f"{start:%a %d %b %Y %H:%M}-{end:%H:%M}"


class ViewOnlyDetailMixin:
    """The change page is read-only; the changelist keeps the change permission so that staff
    can run the actions, which go through the door."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]


class RecordsLooksMixin:
    """Personal data: every opening of an object's page is written to the audit trail. Recorded
    when the page is rendered, so after the admin's permission checks: a refused look is no
    look."""

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and request.method == "GET":
            services.record_access(request.user, obj)
        return super().render_change_form(  # type: ignore[misc]
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )


def _run_door(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: QuerySet,
    verb: Callable[[Any], object],
    done: str,
) -> None:
    """Call one door verb per object; report what was done and what the door refused, and why."""
    changed, refused = 0, []
    for obj in objects.order_by("pk"):
        try:
            verb(obj)
        except errors.BookingError as exc:
            refused.append(f"{obj}: {exc.detail}")
        else:
            changed += 1
    if changed:
        modeladmin.message_user(request, f"{changed} {done}.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request, f"Not changed ({len(refused)}): " + "; ".join(refused), messages.WARNING
        )


def door_action(
    name: str, description: str, verb: Callable[[Any, Any], object], done: str
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet], None]:
    """An admin action that calls `verb(object, staff_user)` for each selected object through
    `_run_door`, so a refusal is a message, never an error page."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        _run_door(modeladmin, request, queryset, lambda obj: verb(obj, request.user), done)

    action.__name__ = name  # the action's key in the admin's form and in tests
    return action


# --- places ----------------------------------------------------------------------------------


class RoomInline(admin.TabularInline):
    model = Room
    extra = 1


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "room_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "address"]
    inlines = [RoomInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Location]:
        return super().get_queryset(request).annotate(room_count=Count("rooms"))

    @admin.display(description="rooms", ordering="room_count")
    def room_count(self, obj: Location) -> int:
        return obj.room_count  # type: ignore[attr-defined]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "duration_minutes",
        "bookable_by_sms",
        "bookable_by_phone",
        "bookable_by_counter",
        "is_active",
    ]
    list_filter = ["is_active", "bookable_by_sms", "bookable_by_phone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


# --- sessions --------------------------------------------------------------------------------


class SessionLanguageInline(admin.TabularInline):
    """The languages a session offers. Chosen when it is published; afterwards read-only,
    because bookings already carry an interpreter status worked out from them."""

    model = SessionLanguage
    fields = ["language", "support", "places"]
    extra = 3
    verbose_name = "language offered"
    verbose_name_plural = "languages offered"

    def has_add_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return obj is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return obj is None and super().has_delete_permission(request, obj)


class SlotInline(admin.TabularInline):
    """The session's slots, as the door cut them. Read-only."""

    model = Slot
    fields = ["starts_at", "ends_at", "capacity", "taken", "places_left"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False


class PublishSessionForm(forms.ModelForm):
    """Adds a session by publishing it through the door.

    Publishing is the last step of validation: only the door knows whether the room is free,
    so the form asks it and shows a refusal as a form error. The admin runs the whole page in
    one transaction, so nothing stays behind if a later step fails.
    """

    capacity = forms.IntegerField(
        min_value=1,
        initial=1,
        help_text="Walk-in hour: places in the hour. Appointments: visitors per appointment.",
    )

    repeat_weeks = forms.IntegerField(
        min_value=0,
        max_value=services.MAX_SERIES - 1,
        initial=0,
        label="Repeat weekly",
        help_text="Also publish it at the same hours on this many following weeks (0: once).",
    )

    # Set per request by SessionAdmin.get_form.
    actor: Any = None
    offers_formset: type[BaseInlineFormSet] | None = None

    class Meta:
        model = Session
        fields = ["service", "location", "room", "kind", "starts_at", "ends_at", "hosts", "notes"]

    published: Session | None = None
    series: list[Session] = []

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or self._errors or self.published is not None:
            return
        offers = self._language_offers()
        if offers is None:
            return  # the admin shows the inline's own errors
        data = self.cleaned_data
        try:
            self.series = services.publish_series(
                rule=f"FREQ=WEEKLY;COUNT={data['repeat_weeks'] + 1}",
                service=data["service"],
                location=data["location"],
                room=data.get("room"),
                kind=data["kind"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                languages=offers,
                hosts=data.get("hosts") or (),
                notes=data.get("notes", ""),
                actor=self.actor,
            )
            self.published = self.series[0]
        except errors.BookingError as exc:
            field = "room" if isinstance(exc, errors.RoomTaken) else None
            self.add_error(field, ValidationError(exc.detail, code=exc.code))

    def _language_offers(self) -> list[LanguageOffer] | None:
        """The offers from the languages inline, or None when they are not valid."""
        if self.offers_formset is None:
            return []
        formset = self.offers_formset(
            self.data,
            self.files,
            instance=self.instance,
            prefix=self.offers_formset.get_default_prefix(),
        )
        if not formset.is_valid():
            return None
        return [
            LanguageOffer(
                language=form.cleaned_data["language"],
                support=form.cleaned_data["support"],
                places=form.cleaned_data.get("places"),
            )
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


class SessionAdmin(admin.ModelAdmin):
    list_display = ["when", "service", "location", "room", "kind", "status", "offered", "places"]
    list_filter = [
        "service",
        "location",
        "kind",
        "status",
        ("starts_at", admin.DateFieldListFilter),
        "languages",
    ]
    list_select_related = ["service", "location", "room"]
    date_hierarchy = "starts_at"
    search_fields = ["service__name", "location__name", "room__name", "notes"]
    ordering = ["starts_at"]
    filter_horizontal = ["hosts"]
    actions = [
        "cancel_sessions",
        door_action(
            "unpublish_sessions",
            "Unpublish selected sessions (no new bookings; booked visitors keep theirs)",
            lambda session, user: services.set_session_published(
                session, published=False, actor=user
            ),
            "session(s) unpublished",
        ),
        door_action(
            "republish_sessions",
            "Publish selected sessions again",
            lambda session, user: services.set_session_published(
                session, published=True, actor=user
            ),
            "session(s) published",
        ),
    ]

    add_fieldsets = [
        (None, {"fields": ["service", "kind", ("location", "room")]}),
        ("When", {"fields": ["starts_at", "ends_at", "capacity", "repeat_weeks"]}),
        ("Staff", {"fields": ["hosts", "notes"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["service", "kind", ("location", "room"), "status"]}),
        ("When", {"fields": ["starts_at", "ends_at", "places"]}),
        ("Staff", {"fields": ["hosts", "notes", "created_at"]}),
    ]
    # What would change the slots, or what only the door changes (status: the cancel action).
    change_readonly_fields = [
        "service",
        "kind",
        "location",
        "room",
        "status",
        "starts_at",
        "ends_at",
        "places",
        "created_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        return (
            super()
            .get_queryset(request)
            .annotate(capacity_total=Sum("slots__capacity"), taken_total=Sum("slots__taken"))
            .prefetch_related("offered__language")
        )

    def get_fieldsets(self, request: HttpRequest, obj: Session | None = None) -> list:
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Session | None = None) -> list[str]:
        return [] if obj is None else self.change_readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Session | None) -> list:
        return [SessionLanguageInline] if obj is None else [SessionLanguageInline, SlotInline]

    def get_form(
        self, request: HttpRequest, obj: Session | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = PublishSessionForm
        form = super().get_form(request, obj, change=change, **kwargs)
        offers = next(
            (
                formset
                for formset, inline in self.get_formsets_with_inlines(request)
                if isinstance(inline, SessionLanguageInline)
            ),
            None,
        )
        return type(form.__name__, (form,), {"actor": request.user, "offers_formset": offers})

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "hosts":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # A new session was saved by the door while the form validated (see PublishSessionForm).
    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Session:
        if change:
            return super().save_form(request, form, change)
        return form.published

    def save_model(self, request: HttpRequest, obj: Session, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict]:
        if add:
            if len(form.series) > 1:
                self.message_user(request, f"Published {len(form.series)} weekly sessions.")
            return [{"added": {}}]
        return super().construct_change_message(request, form, formsets, add)

    def has_delete_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False  # cancel instead: visitors must be told

    @admin.display(description="when", ordering="starts_at")
    def when(self, obj: Session) -> str:
        return _span(obj.starts_at, obj.ends_at)

    @admin.display(description="languages")
    def offered(self, obj: Session) -> str:
        return ", ".join(
            o.language.code + (" (peer)" if o.support == o.Support.PEER_EXPERT else "")
            for o in obj.offered.all()
        )

    @admin.display(description="booked / places")
    def places(self, obj: Session) -> str:
        taken = getattr(obj, "taken_total", None)
        capacity = getattr(obj, "capacity_total", None)
        if capacity is None:
            totals = obj.slots.aggregate(taken=Sum("taken"), capacity=Sum("capacity"))
            taken, capacity = totals["taken"], totals["capacity"]
        return f"{taken or 0} / {capacity or 0}"

    @admin.action(description="Cancel selected sessions (booked visitors are told)",
                  permissions=["change"])
    def cancel_sessions(
        self, request: HttpRequest, queryset: QuerySet[Session]
    ) -> HttpResponse | None:
        selected = queryset
        queryset = queryset.exclude(status=Session.Status.CANCELLED)
        if request.POST.get("confirm") != "yes":
            # One click would message every booked visitor: ask first, like delete does.
            sessions = queryset.annotate(
                active_bookings=Count(
                    "slots__bookings", filter=Q(slots__bookings__status__in=Booking.ACTIVE)
                )
            )
            return TemplateResponse(
                request,
                _CANCEL_CONFIRMATION,
                {
                    **self.admin_site.each_context(request),
                    "title": "Cancel sessions",
                    "opts": self.opts,
                    "sessions": sessions,
                },
            )
        reason = request.POST.get("reason", "")[:200]
        bookings: list[Booking] = []

        def cancel(session: Session) -> None:
            bookings.extend(services.cancel_session(session, actor=request.user, reason=reason))

        # Confirmed: every session the page listed goes to the door, which refuses one that
        # someone else cancelled (or that began) since, and _run_door shows why.
        _run_door(self, request, selected, cancel, "session(s) cancelled")
        if bookings:
            self.message_user(
                request,
                f"{len(bookings)} booking(s) cancelled; their visitors will get a message.",
                messages.SUCCESS,
            )
        return None


admin.site.register(Session, SessionAdmin)

_CANCEL_CONFIRMATION = engines["django"].from_string(
    """{% extends "admin/base_site.html" %}
{% block content %}
<p>Cancel these sessions? Every visitor booked in them gets a message that it is cancelled.</p>
<ul>{% for s in sessions %}<li>{{ s }} &ndash; {{ s.active_bookings }} booked</li>{% endfor %}</ul>
<form method="post">{% csrf_token %}
{% for s in sessions %}<input type="hidden" name="_selected_action" value="{{ s.pk }}">{% endfor %}
<input type="hidden" name="action" value="cancel_sessions">
<input type="hidden" name="confirm" value="yes">
<p><label for="id_reason">Reason, for the audit trail (not sent to visitors):</label>
<input type="text" name="reason" id="id_reason" maxlength="200"></p>
<input type="submit" value="Yes, cancel them">
<a href="" class="button cancel-link">No, go back</a>
</form>
{% endblock %}"""
)


@admin.register(Slot)
class SlotAdmin(ViewOnlyDetailMixin, admin.ModelAdmin):
    list_display = ["when", "service", "location", "capacity", "taken", "places_left"]
    list_filter = [
        "session__service",
        "session__location",
        "session__kind",
        "session__status",
        ("starts_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["session__service", "session__location"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    fields = ["session", "starts_at", "ends_at", "capacity", "taken", "places_left"]
    readonly_fields = fields

    @admin.display(description="when", ordering="starts_at")
    def when(self, obj: Slot) -> str:
        return _span(obj.starts_at, obj.ends_at)

    @admin.display(ordering="session__service__name")
    def service(self, obj: Slot) -> Service:
        return obj.session.service

    @admin.display(ordering="session__location__name")
    def location(self, obj: Slot) -> Location:
        return obj.session.location


# --- visitors and bookings -------------------------------------------------------------------


class VisitorBookingInline(admin.TabularInline):
    model = Booking
    fields = ["reference", "starts_at", "slot", "language", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-starts_at"]

    def has_add_permission(self, request: HttpRequest, obj: Visitor | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Visitor | None = None) -> bool:
        return False


@admin.register(Visitor)
class VisitorAdmin(RecordsLooksMixin, admin.ModelAdmin):
    """Personal data: the list shows no phone numbers, the detail page does. Every opening of a
    visitor's page, and every visitor a search finds, is written to the audit trail."""

    list_display = ["__str__", "phone_hint", "language", "second_language", "sms_consent"]
    list_filter = ["language", "sms_consent"]
    list_select_related = ["language", "second_language"]
    search_fields = ["name"]
    search_help_text = "Name, or a full phone number (06 12 34 56 78 or +31 6 ...)."
    fields = [
        "name",
        "phone",
        "language",
        "second_language",
        "sms_consent",
        "sms_opted_out_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["sms_opted_out_at", "created_at", "updated_at"]
    inlines = [VisitorBookingInline]

    @admin.display(description="phone")
    def phone_hint(self, obj: Visitor) -> str:
        return f"… {str(obj.phone)[-2:]}" if obj.phone else "-"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Visitor], search_term: str
    ) -> tuple[QuerySet[Visitor], bool]:
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        # Staff type a number as the visitor says it; it is stored as E.164.
        try:
            number = phonenumbers.parse(search_term, settings.PHONENUMBER_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            return results, may_have_duplicates
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return results | queryset.filter(phone=e164), may_have_duplicates

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        # A search is looking someone up: each visitor on the page it shows is recorded, as the
        # API does for a search by phone. The plain list (no term) is not.
        if request.method == "GET" and changelist is not None and changelist.query.strip():
            for visitor in changelist.result_list:
                services.record_access(request.user, visitor, action="search")
        return response

    def save_model(self, request: HttpRequest, obj: Visitor, form: Any, change: bool) -> None:
        # Through the door, like every channel; the form has already run the same validation.
        data = form.cleaned_data
        if change:
            services.update_visitor(
                obj, actor=request.user, **{f: data[f] for f in form.changed_data}
            )
            return
        visitor = services.register_visitor(
            language=data["language"],
            phone=data["phone"].as_e164 if data.get("phone") else "",
            name=data.get("name", ""),
            second_language=data.get("second_language"),
            sms_consent=data.get("sms_consent", True),
            actor=request.user,
        )
        obj.pk = visitor.pk  # the admin redirects and logs by this object
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Visitor | None = None) -> bool:
        return False  # erasure is its own step, not a delete button


@admin.register(Booking)
class BookingAdmin(RecordsLooksMixin, ViewOnlyDetailMixin, admin.ModelAdmin):
    """Bookings are made at the counter pages, by SMS, phone or API; here they are looked up and
    moved along by actions, which go through the door. Opening one (a visitor, their topic) is
    written to the audit trail."""

    list_display = [
        "reference",
        "when",
        "service",
        "location",
        "visitor",
        "language",
        "interpreter_status",
        "status",
        "channel",
    ]
    list_filter = [
        "status",
        "slot__session__service",
        "slot__session__location",
        "channel",
        "interpreter_status",
        "language",
        ("starts_at", admin.DateFieldListFilter),
    ]
    list_select_related = [
        "slot__session__service",
        "slot__session__location",
        "visitor",
        "language",
    ]
    date_hierarchy = "starts_at"
    search_fields = ["=reference", "visitor__name"]
    search_help_text = "Reference (six digits) or the visitor's name."
    ordering = ["starts_at"]
    actions = [
        door_action(
            "check_in",
            "Check in selected bookings",
            lambda b, user: services.check_in(b, actor=user, channel=Channel.COUNTER),
            "booking(s) checked in",
        ),
        door_action(
            "mark_no_show",
            "Mark selected bookings as no-show",
            lambda b, user: services.mark_no_show(b, actor=user, channel=Channel.COUNTER),
            "booking(s) marked as no-show",
        ),
        door_action(
            "mark_served",
            "Mark selected bookings as served",
            lambda b, user: services.mark_served(b, actor=user, channel=Channel.COUNTER),
            "booking(s) marked as served",
        ),
        door_action(
            "cancel_bookings",
            "Cancel selected bookings (visitors are told)",
            lambda b, user: services.cancel(b, channel=Channel.COUNTER, actor=user),
            "booking(s) cancelled",
        ),
        door_action(
            "interpreter_confirmed",
            "An interpreter will be there (visitors are told)",
            lambda b, user: services.set_interpreter_status(
                b, status=Booking.InterpreterStatus.CONFIRMED, actor=user
            ),
            "booking(s) updated",
        ),
        door_action(
            "interpreter_unavailable",
            "No interpreter available (visitors are told)",
            lambda b, user: services.set_interpreter_status(
                b, status=Booking.InterpreterStatus.UNAVAILABLE, actor=user
            ),
            "booking(s) updated",
        ),
    ]
    fields = [
        "reference",
        "status",
        "slot",
        "starts_at",
        "ends_at",
        "visitor",
        "language",
        "interpreter_needed",
        "interpreter_status",
        "topic",
        "channel",
        "booked_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="when", ordering="starts_at")
    def when(self, obj: Booking) -> str:
        return _span(obj.starts_at, obj.ends_at)

    @admin.display(ordering="slot__session__service__name")
    def service(self, obj: Booking) -> Service:
        return obj.slot.session.service

    @admin.display(ordering="slot__session__location__name")
    def location(self, obj: Booking) -> Location:
        return obj.slot.session.location


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(RecordsLooksMixin, ViewOnlyDetailMixin, admin.ModelAdmin):
    """Who waits for what: personal data, so opening an entry is written to the audit trail.
    Counter staff take visitors off the list with the action, through the door."""

    list_display = [
        "visitor",
        "service",
        "language",
        "location",
        "earliest",
        "latest",
        "status",
        "offer_expires_at",
    ]
    list_filter = ["status", "service", "language", "location"]
    list_select_related = ["visitor", "service", "language", "location"]
    search_fields = ["visitor__name"]
    readonly_fields = [
        "visitor",
        "service",
        "language",
        "location",
        "earliest",
        "latest",
        "channel",
        "status",
        "offered_slot",
        "offer_expires_at",
        "booking",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["take_off_waitlist"]

    @admin.action(description="Take selected visitors off the waiting list", permissions=["change"])
    def take_off_waitlist(self, request: HttpRequest, queryset: QuerySet[WaitlistEntry]) -> None:
        _run_door(
            self,
            request,
            queryset.filter(
                status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED]
            ),
            lambda e: services.leave_waitlist(e, actor=request.user),
            "taken off the waiting list",
        )


# --- records ---------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: never added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "booking", "waitlist_entry", "channel", "created_at", "relayed"]
    list_filter = ["kind", "channel", ("relayed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["booking", "waitlist_entry__visitor", "waitlist_entry__service"]
    search_fields = ["=booking__reference"]
    date_hierarchy = "created_at"

    @admin.display(boolean=True, description="relayed", ordering="relayed_at")
    def relayed(self, obj: Event) -> bool:
        return obj.relayed_at is not None


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_username", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "=object_id"]
    date_hierarchy = "at"
    fields = ["at", "actor", "actor_username", "action", "object_type", "object_id", "details"]
    readonly_fields = fields

    @admin.display(description="detail")
    def details(self, obj: AuditEntry) -> str:
        return format_html_join(
            "", "<div><b>{}</b>: {}</div>", ((k, v) for k, v in obj.detail.items())
        ) or format_html("-")
