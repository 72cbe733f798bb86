from django.contrib import admin

from .models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "language", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "language"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    search_fields = ["provider_id"]

    def has_add_permission(self, request):
        return False
