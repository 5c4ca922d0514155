"""Model and form fields for the registry's codes, so that every form — the portal's,
self-registration's and the admin's alike — reads a USCC or an ID number by one rule:
normalised (NFKC, no spaces or dashes, upper case), then validated with a message that quotes
what was typed (:mod:`enterprises.validators`)."""

from django import forms
from django.db import models

from cqo_registry.encryption import EncryptedCharField

from . import validators

# How long a code may be as typed (with spaces or dashes) before it is compacted to 18.
TYPED_MAX = 40


class _CodeFormField(forms.CharField):
    """A code as people type it; cleans, by the validator ``check`` of its kind (which
    normalises it and refuses it with a message quoting it), to its stored spelling."""

    check = None  # each kind's: a function of validators

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", TYPED_MAX)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.check(value) if value else value


class UsccFormField(_CodeFormField):
    """Accepts a USCC as people type it; cleans to its stored spelling."""

    check = staticmethod(validators.check_uscc)


class IdNumberFormField(_CodeFormField):
    """Accepts a resident ID number as people type it (lower-case x, spaces, full-width
    digits); cleans to its stored spelling."""

    check = staticmethod(validators.check_id_number)


class _CodeField:
    """What the model fields of the registry's codes share: the code's length and validator
    by default, left out of the migrations (they are the field's own, not a column's
    choice), and the form field that reads the code as people type it."""

    code_length: int
    code_validator = None  # each kind's: a function of validators
    code_form_class = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", self.code_length)
        kwargs.setdefault("validators", [self.code_validator])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        if kwargs.get("max_length") == self.code_length:
            kwargs.pop("max_length")
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": self.code_form_class, "max_length": TYPED_MAX, **kwargs}
        )


class UsccField(_CodeField, models.CharField):
    """A Unified Social Credit Code (GB 32100-2015), 18 characters, stored upper case."""

    code_length = validators.USCC_LENGTH
    code_validator = staticmethod(validators.validate_uscc)
    code_form_class = UsccFormField


class IdNumberField(_CodeField, EncryptedCharField):
    """A resident ID number (GB 11643-1999), 18 characters, upper case — stored encrypted,
    with its lookup hash in ``digest_field`` (:mod:`cqo_registry.encryption`)."""

    code_length = validators.ID_NUMBER_LENGTH
    code_validator = staticmethod(validators.validate_id_number)
    code_form_class = IdNumberFormField

    def get_prep_value(self, value):
        # The one stored spelling's capital X, whatever reached the model.
        value = super().get_prep_value(value)
        return value.upper() if isinstance(value, str) else value
