"""The account policy at every request (``policy.py``): a session past its absolute lifetime
is ended; a signed-in user whose account needs something first — a second-factor code, an
authenticator, a new password — is sent to that page, whatever page they asked for."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from . import policy

# Pages open whatever step is pending: signing out, the language switch, the health check,
# the CAPTCHA images.
ALWAYS_OPEN = {
    "logout",
    "set_language",
    "healthz",
    "captcha-image",
    "captcha-image-2x",
    "captcha-audio",
    "captcha-refresh",
}
STEP_PAGES = {
    policy.VERIFY: ("two_factor:verify", {"two_factor:verify", "two_factor:recovery"}),
    policy.ENROL: ("two_factor:setup", {"two_factor:setup", "two_factor:qr"}),
    policy.CHANGE_PASSWORD: ("password_change", {"password_change"}),
}


def _view_name(request) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


class AccountPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if policy.session_expired(request):
                logout(request)
                messages.info(request, _("登录已超过规定时长，请重新登录。"))
                return redirect_to_login(request.get_full_path())
            step = policy.pending_step(request)
            if step is not None:
                page, open_pages = STEP_PAGES[step.kind]
                name = _view_name(request)
                if name not in open_pages and name not in ALWAYS_OPEN:
                    query = urlencode({"next": request.get_full_path()})
                    return redirect(f"{reverse(page)}?{query}")
        return self.get_response(request)
