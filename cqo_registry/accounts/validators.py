from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARACTER_CLASSES = (str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum())


class CharacterClassValidator:
    """Password complexity as MLPS 2.0 level 2 asks: at least three of upper case letters,
    lower case letters, digits and symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        used = sum(any(test(c) for c in password) for test in CHARACTER_CLASSES)
        if used < self.min_classes:
            raise ValidationError(
                _("密码须至少包含大写字母、小写字母、数字、符号中的 %(n)d 类。")
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("密码须至少包含大写字母、小写字母、数字、符号中的 %(n)d 类。") % {
            "n": self.min_classes
        }


class PasswordHistoryValidator:
    """No reuse of the last ``history`` passwords, the current one included (issue 13).

    ``validate`` compares the new password with the user's current hash and the hashes kept in
    ``PasswordHistory``; ``password_changed`` — which Django calls for every validator once a
    user whose password was set is saved — keeps the new hash and drops those beyond
    ``history``. A user not yet saved (a registration being checked) has no history."""

    def __init__(self, history: int = 5):
        self.history = history

    def _recent_hashes(self, user) -> list[str]:
        from .models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
                : self.history
            ]
        )
        users = get_user_model()._default_manager
        current = users.filter(pk=user.pk).values_list("password", flat=True)
        return [*current, *hashes]

    def validate(self, password, user=None):
        if self.history <= 0 or user is None or user.pk is None:
            return
        for encoded in self._recent_hashes(user):
            if encoded and check_password(password, encoded):
                raise ValidationError(
                    _("新密码不能与最近使用过的 %(n)d 个密码相同。") % {"n": self.history},
                    code="password_reused",
                )

    def password_changed(self, password, user=None):
        from .models import PasswordHistory

        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
            max(self.history, 1) :
        ]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self):
        return _("新密码不能与最近使用过的 %(n)d 个密码相同。") % {"n": self.history}
