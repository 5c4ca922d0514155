from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Target


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "population", "criterion", "deadline", "goal_rate"]
    list_filter = ["population", "criterion"]
    search_fields = ["code", "name"]
