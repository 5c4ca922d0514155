"""The filter form above a registry list (the enterprise registry, ``reports``; the CQO
registry, ``training``): what the lists' forms share."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import town_list

YES_NO = [("", _("全部")), ("yes", _("是")), ("no", _("否"))]


def search_field(placeholder: str, *, max_length: int = 100) -> forms.CharField:
    """A list's optional search box ``q``; ``placeholder`` says what it searches."""
    return forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs={"placeholder": placeholder}),
    )


def town_field() -> forms.ModelChoiceField:
    """A list's optional town filter, "全部" first; the form sets its ``queryset`` to the
    towns the user may see."""
    return forms.ModelChoiceField(
        label=_("所属镇"), queryset=None, required=False, empty_label=_("全部")
    )


class ListFilterForm(forms.Form):
    """A GET form of optional filters for ``user``'s list. Its ``town`` field (when it has
    one) offers only the towns the user may see, by code, "全部" first; every field has
    Bootstrap's small look (without it the fields sat inline beside their labels and the
    wider selects ran off the page). ``valid_data()`` is what the list is narrowed by."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "town" in self.fields:
            self.fields["town"].queryset = town_list(user).order_by("code")
            self.fields["town"].empty_label = _("全部")
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    def valid_data(self) -> dict:
        """The cleaned values of the fields that are valid: an invalid field is left out of
        the filter (the form shows why), the others still apply."""
        self.is_valid()  # cleaned_data keeps every field that is valid
        return getattr(self, "cleaned_data", {})
