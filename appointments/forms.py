"""Forms of the enterprise portal's filings (validation only; the services do the work).

Templates own the ``<form>`` tag and the buttons ("save as draft" / "submit"), crispy
renders the fields. An edited filing shows the person's ID number and mobile masked (SPEC §1:
in full to bureau roles only): left blank, they stay as they are.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cqo_registry.uploads import check_upload
from enterprises.fields import IdNumberFormField
from enterprises.models import Education
from enterprises.validators import validate_mobile, validate_visible_text

from .models import CQO_POST, Department, EndReason

# What an enterprise may give as the reason its CQO leaves (退出 comes only from a sanction).
ENTERPRISE_END_REASONS = [
    (EndReason.LEFT, EndReason.LEFT.label),
    (EndReason.REASSIGNED, EndReason.REASSIGNED.label),
    (EndReason.DISMISSED, EndReason.DISMISSED.label),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class NoFormTagForm(forms.Form):
    """Crispy renders the fields; templates own the <form> tag and the buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AppointmentFilingForm(NoFormTagForm):
    """An appointment (or, with ``change=True``, a change of CQO). ``person`` and
    ``appointment``, when given, are the edited filing's, and make the ID number, mobile and
    letter optional (blank keeps the current ones)."""

    person_name = forms.CharField(
        label=_("姓名"), max_length=50, validators=[validate_visible_text]
    )
    id_number = IdNumberFormField(label=_("身份证号"))
    mobile = forms.CharField(label=_("手机"), max_length=20)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    education = forms.ChoiceField(
        label=_("学历"), choices=[("", "---------"), *Education.choices], required=False
    )
    title = forms.CharField(
        label=_("职称"), max_length=50, required=False, help_text=_("如：质量工程师、高级工程师")
    )
    years_in_quality = forms.IntegerField(
        label=_("从事质量工作年限"), min_value=0, max_value=60, required=False
    )
    position = forms.CharField(label=_("职务"), max_length=100, help_text=_("如：副总经理"))
    is_senior_manager = forms.BooleanField(
        label=_("本人确认：该人员为企业高层管理人员"),
        required=False,
        help_text=_("通知要求首席质量官由企业高层管理人员担任（三、2）。"),
    )
    is_principal = forms.BooleanField(
        label=_("由企业主要负责人兼任"),
        required=False,
        help_text=_("鼓励企业主要负责人担任首席质量官（三、3）。"),
    )
    departments = forms.MultipleChoiceField(
        label=_("分管部门"),
        choices=Department.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个分管部门。")},
    )
    appointed_on = forms.DateField(label=_("聘任日期"), widget=DateInput())
    letter = forms.FileField(
        label=_("聘任文件"),
        required=False,
        help_text=_("PDF、JPG 或 PNG，不超过 10 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(
        self,
        *args,
        person=None,
        appointment=None,
        change=False,
        submitting=False,
        post=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        self.person = person
        self.appointment = appointment
        # Another post than the CQO's (issue 19): the senior-manager rule only where the
        # post says so; principal and the six departments (notice §3.3–3.4) are the CQO's.
        self.post = post if post is not None and post.code != CQO_POST else None
        fieldsets = [
            Fieldset(
                self.post.name if self.post else _("首席质量官"),
                "person_name",
                "id_number",
                "mobile",
                "email",
                "education",
                "title",
                "years_in_quality",
            ),
            Fieldset(
                _("聘任"),
                "position",
                "is_senior_manager",
                "is_principal",
                "departments",
                "appointed_on",
                "letter",
            ),
        ]
        if self.post is not None:
            del self.fields["is_principal"], self.fields["departments"]
            fieldsets[1].fields.remove("is_principal")
            fieldsets[1].fields.remove("departments")
            if self.post.senior_manager_required:
                self.fields["is_senior_manager"].help_text = _("该岗位须由企业高层管理人员担任。")
            else:
                self.fields["is_senior_manager"].label = _("该人员为企业高层管理人员")
                self.fields["is_senior_manager"].help_text = ""
        if change:
            self.fields["end_reason"] = forms.ChoiceField(
                label=_("现任人员离任原因") if self.post else _("现任首席质量官离任原因"),
                choices=ENTERPRISE_END_REASONS,
            )
            fieldsets[1].fields.insert(0, "end_reason")
        if person is not None:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _(
                "当前：%(masked)s。不更换人员请留空；更换人员请填写新人员的身份证号。"
            ) % {"masked": person.masked_id_number}
            self.fields["mobile"].required = False
            self.fields["mobile"].help_text = _("当前：%(masked)s。不修改请留空。") % {
                "masked": person.masked_mobile or "—"
            }
        if appointment is not None and appointment.letter:
            self.fields["letter"].help_text = _(
                "已上传聘任文件；重新选择文件将替换它。PDF、JPG 或 PNG，不超过 10 MB。"
            )
        self.helper.layout = Layout(*fieldsets)

    def clean_mobile(self):
        value = "".join(self.cleaned_data.get("mobile", "").split())
        if value:
            validate_mobile(value)
        return value

    def clean_person_name(self):
        return self.cleaned_data["person_name"].strip()

    def clean_is_senior_manager(self):
        if self.post is not None:
            if self.post.senior_manager_required and not self.cleaned_data.get("is_senior_manager"):
                raise ValidationError(
                    _(
                        "%(post)s应由企业高层管理人员担任：请确认该人员为高层管理人员，否则不能备案。"
                    )
                    % {"post": self.post.name},
                    code="not_senior_manager",
                )
            return bool(self.cleaned_data.get("is_senior_manager"))
        if not self.cleaned_data.get("is_senior_manager"):
            raise ValidationError(
                _(
                    "首席质量官应为企业高层管理人员（通知三、2）：请确认该人员为高层管理人员，否则不能备案。"
                ),
                code="not_senior_manager",
            )
        return True

    def clean_letter(self):
        upload = self.cleaned_data.get("letter")
        if upload:
            check_upload(upload)
            return upload
        return None

    def clean(self):
        cleaned = super().clean()
        same_person = self.person is not None and not cleaned.get("id_number")
        if (
            same_person
            and cleaned.get("person_name")
            and cleaned["person_name"] != self.person.name
        ):
            self.add_error(
                "person_name",
                _("更换首席质量官人员时，请同时填写新人员的身份证号。"),
            )
        has_letter = self.appointment is not None and bool(self.appointment.letter)
        if self.submitting and not cleaned.get("letter") and not has_letter:
            if "letter" not in self.errors:
                self.add_error("letter", _("提交备案前请上传聘任文件（可先保存为草稿）。"))
        return cleaned

    def person_fields(self) -> dict:
        """Keyword arguments for ``services.person_for_filing`` (an edited filing whose ID
        number or mobile was left blank keeps the declared one). On an edited filing
        ``person`` is the filing's declared person (``Filing.declared_view``)."""
        data = self.cleaned_data
        return {
            "id_number": data["id_number"] or (self.person.id_number if self.person else ""),
            "name": data["person_name"],
            "mobile": data["mobile"] or (self.person.mobile if self.person else ""),
            "email": data["email"],
            "education": data["education"],
            "title": data["title"],
            "years_in_quality": data["years_in_quality"],
        }

    def appointment_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            "position": data["position"].strip(),
            "is_senior_manager": data["is_senior_manager"],
            "is_principal": data.get("is_principal", False),
            "departments": list(data.get("departments", [])),
            "appointed_on": data["appointed_on"],
            "letter": data["letter"],
        }
        if "end_reason" in data:
            fields["end_reason"] = data["end_reason"]
        return fields


class DismissalFilingForm(NoFormTagForm):
    end_date = forms.DateField(label=_("解聘（离任）日期"), widget=DateInput())
    end_reason = forms.ChoiceField(label=_("解聘原因"), choices=ENTERPRISE_END_REASONS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout("end_date", "end_reason")


class ConfirmForm(NoFormTagForm):
    """An empty form: the confirmation steps only need the CSRF token."""
