from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cqo_registry.accounts"
    label = "accounts"
    verbose_name = _("用户与权限")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from simple_history.signals import pre_create_historical_record

        from cqo_registry.clock import stamp_history_row

        from .policy import mark_session_start
        from .signed_in import keep_after_sign_in

        # The absolute session lifetime counts from each sign-in (policy.py).
        user_logged_in.connect(mark_session_start, dispatch_uid="cqo_session_start")
        # The user just signed in is kept for their next request (signed_in.py). Connected
        # after Django's last_login update, whose write it must follow.
        user_logged_in.connect(keep_after_sign_in, dispatch_uid="cqo_keep_signed_in")
        # History rows written under an injected clock are dated by it (cqo_registry/clock.py).
        pre_create_historical_record.connect(stamp_history_row, dispatch_uid="cqo_history_clock")
        self._unregister_device_admins()

    @staticmethod
    def _unregister_device_admins():
        """Second factors are managed on the product's pages (enrolment by the user, reset
        by a bureau admin, recorded): the admin's raw device pages of django-otp — which
        would show each authenticator's secret key — are not offered."""
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
