"""Forms of the account pages (validation only; ``services.py`` and Django's auth views do the
work)."""

from captcha.fields import CaptchaField
from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from cqo_registry.site import site_url

from . import mail


def captcha_field() -> CaptchaField:
    return CaptchaField(
        label=_("验证码"),
        help_text=_("请输入图中的字符，不区分大小写。"),
        error_messages={"invalid": _("验证码不正确，请重新输入。")},
    )


class LoginForm(AuthenticationForm):
    """Django's sign-in form, with a CAPTCHA when the address has failed too often
    (``throttles.login_needs_captcha``). A wrong CAPTCHA stops before the password is tried:
    it neither signs in nor counts against the account's lockout."""

    def __init__(self, request=None, *args, with_captcha: bool = False, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Django sets the username's max_length after the field is built: the browser's
        # maxlength, no validator. A longer name sent by a script reached axes' failure row
        # (255 characters) and PostgreSQL refused it with a server error.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
        if with_captcha:
            self.fields["captcha"] = captcha_field()

    def clean(self):
        if "captcha" in self.fields and "captcha" in self.errors:
            return self.cleaned_data
        return super().clean()


class OwnPasswordChangeForm(PasswordChangeForm):
    """A user changes their own password: a password set by someone else, or expired, is
    then theirs again."""

    def save(self, commit=True):
        self.user.must_change_password = False
        return super().save(commit)


class OwnSetPasswordForm(SetPasswordForm):
    """A new password from a reset link: the user's own, like ``OwnPasswordChangeForm``."""

    def save(self, commit=True):
        self.user.must_change_password = False
        return super().save(commit)


class ResetRequestForm(PasswordResetForm):
    """Django's password-reset request, its e-mail sent after commit (``mail.py``) from the
    subject / text / HTML triple of ``templates/emails/password_reset*``."""

    email = forms.EmailField(
        label=_("电子邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("账号登记的电子邮箱。"),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        context = {
            **context,
            "site_url": site_url(),
            "reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        mail.send_on_commit(template="password_reset", context=context, to=to_email)


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
        help_text=_("身份验证器应用中显示的 6 位数字。"),
        error_messages={"required": _("请输入验证码。")},
    )


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("恢复码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
        help_text=_("启用两步验证时保存的恢复码之一（8 位字母和数字），每个只能使用一次。"),
        error_messages={"required": _("请输入恢复码。")},
    )


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=150)


class InviteForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    email = forms.EmailField(label=_("电子邮箱"), help_text=_("邀请链接将发送到此邮箱。"))


def new_login_fields() -> tuple[forms.CharField, forms.CharField, forms.CharField]:
    """The username, password and password-again fields of a form that opens an account (an
    invitation accepted, an enterprise registering), written once so that both ask alike.
    Unpack them in the form's body where they are to stand; the form checks that the two
    passwords match."""
    return (
        forms.CharField(
            label=_("用户名"),
            max_length=150,
            validators=[UnicodeUsernameValidator()],
            help_text=_("登录时使用。字母、数字或 @/./+/-/_ ，不超过 150 个字符。"),
        ),
        forms.CharField(
            label=_("密码"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=password_validators_help_text_html,
        ),
        forms.CharField(
            label=_("确认密码"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    )


class InvitationAcceptForm(forms.Form):
    """A colleague opens their account from an invitation link."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = forms.CharField(label=_("手机"), max_length=20)
    username, password1, password2 = new_login_fields()

    def clean_mobile(self):
        from enterprises.validators import validate_mobile

        value = "".join(self.cleaned_data.get("mobile", "").split())
        validate_mobile(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return cleaned
