"""The second factor of bureau admins and reviewers (issue 13): enrolling an authenticator app
(TOTP, django-otp) with its recovery codes, the code asked after the password, and signing in
with a recovery code when the phone is not at hand.

Only bureau admins and reviewers have these pages (others 403). The account policy sends a
signed-in user here first (``policy.pending_step``); a user who has not passed the second
factor reaches nothing else."""

import io
from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqo_registry.workflows import error_text

from ... import params
from .. import policy, services
from ..forms import CodeForm, RecoveryCodeForm
from ..models import AccountEventKind
from .auth import safe_next


def _bureau_only(view):
    def wrapped(request, *args, **kwargs):
        if not policy.may_use_two_factor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(never_cache(wrapped))


def _show_codes(request, codes: list[str], *, renewed: bool):
    return render(
        request,
        "accounts/two_factor_codes.html",
        {
            "codes": [services.format_recovery_code(code) for code in codes],
            "renewed": renewed,
            "next": safe_next(request, default=""),
        },
    )


@_bureau_only
@require_http_methods(["GET", "POST"])
def setup(request):
    """GET: the QR code and key of a new authenticator, or — already enrolled — the state of
    the second factor. POST: confirm the authenticator with a code it shows; the recovery
    codes are then shown, once."""
    user = request.user
    enrolled = policy.has_two_factor(user) and user.is_verified()
    if enrolled and request.method == "GET" and not params.flag(request, "new"):
        return render(
            request,
            "accounts/two_factor.html",
            {"enrolled": True, "codes_left": services.recovery_codes_left(user)},
        )
    device = services.two_factor_device_to_confirm(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_confirm(
                user=user, device=device, token=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            django_otp.login(request, device)
            return _show_codes(request, codes, renewed=False)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": False,
            "form": form,
            "secret": _grouped(device.bin_key),
            "required": policy.two_factor_required(user),
            "next": safe_next(request, default=""),
        },
    )


def _grouped(key: bytes) -> str:
    """The key as typed into an authenticator by hand: base32, in groups of four."""
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@_bureau_only
def qr(request):
    """The QR code of the authenticator being enrolled (an SVG image from this server)."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        raise PermissionDenied
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2
    )
    buffer = io.BytesIO()
    image.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


def _verified_device(request, device, form):
    """``device`` when the valid code ``form`` holds is one of its codes for the user (the
    device's throttle counts a wrong one), else ``None``."""
    code = services.normalise_code(form.cleaned_data["code"])
    return django_otp.verify_token(request.user, device.persistent_id, code)


def _code_page(request, template: str, form):
    """A sign-in step's page asking for a code: ``form``, and where to go once signed in."""
    return render(request, template, {"form": form, "next": safe_next(request, default="")})


@_bureau_only
@require_http_methods(["GET", "POST"])
def verify(request):
    """After the password: the authenticator's code (django-otp's throttle slows guessing)."""
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).first()
    if device is None:
        return redirect("two_factor:setup")
    if request.user.is_verified():
        return redirect(safe_next(request, default="/"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = _verified_device(request, device, form)
        if verified is not None:
            django_otp.login(request, verified)
            return redirect(safe_next(request, default="/"))
        allowed, details = device.verify_is_allowed()
        if not allowed:
            form.add_error("code", _("错误次数过多，请稍后再试，或使用恢复码登录。"))
        else:
            form.add_error("code", _("验证码不正确或已过期，请输入身份验证器当前显示的数字。"))
    return _code_page(request, "accounts/two_factor_verify.html", form)


@_bureau_only
@require_http_methods(["GET", "POST"])
def recovery(request):
    """Sign in with a recovery code instead of the authenticator's; each works once."""
    device = StaticDevice.objects.devices_for_user(request.user, confirmed=True).first()
    if request.user.is_verified():
        return redirect(safe_next(request, default="/"))
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = _verified_device(request, device, form) if device is not None else None
        if verified is not None:
            django_otp.login(request, verified)
            left = services.recovery_codes_left(request.user)
            services.record_event(
                kind=AccountEventKind.RECOVERY_CODE_USED,
                user=request.user,
                actor=request.user,
                detail=str(left),
            )
            messages.warning(
                request,
                _(
                    "已使用恢复码登录，还剩 %(count)d 个恢复码。如手机丢失，请重新启用两步验证"
                    "或请局管理员重置。"
                )
                % {"count": left},
            )
            return redirect(safe_next(request, default="/"))
        form.add_error("code", _("恢复码不正确或已使用过。"))
    return _code_page(request, "accounts/two_factor_recovery.html", form)


@_bureau_only
@require_POST
def recovery_codes(request):
    """New recovery codes (the old ones stop working), shown once."""
    if not request.user.is_verified():
        return redirect("two_factor:verify")
    try:
        codes = services.recovery_codes_renew(user=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("two_factor:setup")
    return _show_codes(request, codes, renewed=True)
