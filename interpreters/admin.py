from django.contrib import admin

from .models import Language


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "endonym", "direction", "has_sms_catalogue", "has_voice"]
    list_filter = ["direction", "has_sms_catalogue", "has_voice"]
    search_fields = ["code", "name", "endonym"]
