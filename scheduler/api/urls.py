"""The API's routes, under /api/v1/ (see config/urls.py)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ..api_errors import not_found
from . import views

router = SimpleRouter()
router.register("languages", views.LanguageViewSet, basename="language")
router.register("services", views.ServiceViewSet, basename="service")
router.register("locations", views.LocationViewSet, basename="location")
router.register("sessions", views.SessionViewSet, basename="session")
router.register("slots", views.SlotViewSet, basename="slot")
router.register("visitors", views.VisitorViewSet, basename="visitor")
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("waitlist", views.WaitlistViewSet, basename="waitlist")

app_name = "api"
urlpatterns = [
    *router.urls,
    path("options/", views.OptionsView.as_view(), name="options"),
    # Last: any other path under the API is a JSON 404, like every other refusal.
    re_path(r"^.*$", not_found),
]
