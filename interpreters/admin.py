from django.contrib import admin
from django.http import HttpRequest

from .models import Language


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "endonym", "direction", "has_sms_catalogue", "has_voice"]
    list_filter = ["direction", "has_sms_catalogue", "has_voice"]
    search_fields = ["code", "name", "endonym"]
    ordering = ["name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Language | None = None) -> list[str]:
        # The code is how visitors, sessions and message catalogues find the language.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Language | None = None) -> bool:
        # Visitors and bookings keep their language; one no longer offered simply goes unused.
        return False
