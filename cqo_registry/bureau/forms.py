from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cqo_registry.uploads import check_upload

from .profile import MAX_SEAL_BYTES, SEAL_TYPES


class BureauProfileForm(forms.Form):
    name = forms.CharField(label=_("监管局名称"), max_length=100)
    county = forms.CharField(label=_("所属县（区）"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=40, required=False)
    login_notice = forms.CharField(
        label=_("登录页须知"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("显示在登录页上，告知用户的注意事项；留空则显示系统默认的使用须知。"),
    )
    seal = forms.FileField(
        label=_("公章图片"),
        required=False,
        help_text=_("PNG 或 JPG，不超过 2 MB，印在备案回执上。"),
    )
    remove_seal = forms.BooleanField(label=_("删除现有公章图片"), required=False)

    def clean_seal(self):
        seal = self.cleaned_data.get("seal")
        if seal:
            try:
                check_upload(seal, allowed=SEAL_TYPES, max_bytes=MAX_SEAL_BYTES)
            except ValidationError as error:
                raise ValidationError(error.messages) from error
        return seal
