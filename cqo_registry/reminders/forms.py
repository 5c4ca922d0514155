"""The reminder schedule's form (validation only; ``services.rule_save`` stores it)."""

from django import forms

from .models import ReminderRule


class ReminderRuleForm(forms.ModelForm):
    class Meta:
        model = ReminderRule
        fields = ["kind", "offset_days", "repeat_days", "channels", "active"]
        widgets = {
            "offset_days": forms.NumberInput(attrs={"min": 0, "max": 366}),
            "repeat_days": forms.NumberInput(attrs={"min": 1, "max": 366}),
        }
