"""The enterprise self-registration form (validation only; ``services.registration_submit``
does the work). One form for both cases: the enterprise details (town, scale, industry,
address) are asked only when the USCC is not in the registry — the server says so by
returning the form with those fields required, so no script is needed."""

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.password_validation import (
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cqo_registry.accounts.forms import captcha_field, new_login_fields
from cqo_registry.accounts.models import User

from .fields import UsccFormField
from .models import Industry, Scale, Town
from .services import check_uscc_available
from .validators import validate_mobile, validate_visible_text

ENTERPRISE_DETAIL_FIELDS = ("town", "scale", "industry", "address")


class RegistrationForm(forms.Form):
    uscc = UsccFormField(label=_("统一社会信用代码"), help_text=_("18 位，见营业执照。"))
    name = forms.CharField(label=_("企业名称"), max_length=200, validators=[validate_visible_text])
    contact_name = forms.CharField(
        label=_("联系人"), max_length=50, validators=[validate_visible_text]
    )
    mobile = forms.CharField(label=_("手机"), max_length=20)
    email = forms.EmailField(label=_("电子邮箱"), help_text=_("审核结果将发送到此邮箱。"))
    username, password1, password2 = new_login_fields()
    town = forms.ModelChoiceField(
        label=_("所属镇"), queryset=Town.objects.order_by("code", "name"), required=False
    )
    scale = forms.ChoiceField(
        label=_("企业规模"), choices=[("", "---------"), *Scale.choices], required=False
    )
    industry = forms.ChoiceField(
        label=_("行业门类"), choices=[("", "---------"), *Industry.choices], required=False
    )
    address = forms.CharField(
        label=_("地址"), max_length=255, required=False, validators=[validate_visible_text]
    )
    # Served by the product (django-simple-captcha): a robot cannot register in bulk.
    captcha = captcha_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # Set by clean(): the USCC is valid and not in the registry, so the enterprise
        # details are required (the template then opens their section).
        self.needs_enterprise_details = False
        self.enterprise = None

    def clean_uscc(self):
        value = self.cleaned_data["uscc"]
        self.enterprise = check_uscc_available(value)
        return value

    def clean_mobile(self):
        value = "".join(self.cleaned_data.get("mobile", "").split())
        validate_mobile(value)
        return value

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=value).exists():
            raise ValidationError(
                _("用户名“%(name)s”已被使用，请换一个。") % {"name": value}, code="taken"
            )
        return value

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif password1:
            user = User(
                username=cleaned.get("username", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("contact_name", ""),
            )
            try:
                validate_password(password1, user)
            except ValidationError as error:
                self.add_error("password1", error)
        if "uscc" in cleaned and self.enterprise is None:
            self.needs_enterprise_details = True
            for field in ("town", "scale", "industry"):
                if not cleaned.get(field) and field not in self.errors:
                    self.add_error(
                        field, _("本企业尚未录入本县企业名录，请填写此项，与账号一并审核。")
                    )
        return cleaned

    def submit_fields(self) -> dict:
        """Keyword arguments for ``services.registration_submit``."""
        data = self.cleaned_data
        fields = {
            "uscc": data["uscc"],
            "name": data["name"].strip(),
            "contact_name": data["contact_name"].strip(),
            "mobile": data["mobile"],
            "email": data["email"],
            "username": data["username"],
            "password": data["password1"],
        }
        if self.enterprise is None:
            fields.update({field: data[field] for field in ENTERPRISE_DETAIL_FIELDS})
        return fields

    @property
    def account_fields(self):
        return [
            self[name]
            for name in self.fields
            if name not in ENTERPRISE_DETAIL_FIELDS and name != "captcha"
        ]

    @property
    def enterprise_fields(self):
        return [self[name] for name in ENTERPRISE_DETAIL_FIELDS]
