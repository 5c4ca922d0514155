from django.contrib import admin

from cqo_registry.admin_mixins import CodeSearchMixin, HistoryAdmin

from .models import Confirmation, ConfirmationFigure, ConfirmationRound


@admin.register(ConfirmationRound)
class ConfirmationRoundAdmin(HistoryAdmin):
    list_display = ["year", "opened_on", "due_on", "closed_at"]
    # Rounds open and close through their pages (confirmations.services), not here.
    readonly_fields = ["year", "opened_on", "opened_by", "closed_at", "closed_by"]

    def has_add_permission(self, request):
        # An added round had no year (a server error) and skipped the round's confirmations.
        return False

    def has_change_permission(self, request, obj=None):
        # The due date is the round's to set, and rounds are the bureau admin's to manage.
        return request.user.has_perm("confirmations.manage_rounds")


@admin.register(Confirmation)
class ConfirmationAdmin(CodeSearchMixin, HistoryAdmin):
    list_display = ["round", "enterprise", "status", "confirmed_at", "filing"]
    list_filter = ["round", "status", "enterprise__town"]
    search_fields = ["enterprise__uscc", "enterprise__name"]
    list_select_related = ["round", "enterprise", "filing"]
    readonly_fields = [
        "round",
        "enterprise",
        "status",
        "appointment",
        "filing",
        "corrections",
        "confirmed_at",
        "confirmed_by",
    ]

    def has_add_permission(self, request):
        # Every field is read-only: the rows come from opening a round and from the answers.
        return False


@admin.register(ConfirmationFigure)
class ConfirmationFigureAdmin(admin.ModelAdmin):
    list_display = ["round", "scope", "label", "population", "responded", "late"]
    list_filter = ["round", "scope"]
