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
