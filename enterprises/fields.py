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


class UsccField(models.CharField):
    """A Unified Social Credit Code (GB 32100-2015), 18 characters, stored upper case."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", validators.USCC_LENGTH)
        kwargs.setdefault("validators", [validators.validate_uscc])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        if kwargs.get("max_length") == validators.USCC_LENGTH:
            kwargs.pop("max_length")
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": UsccFormField, "max_length": TYPED_MAX, **kwargs})


class IdNumberField(EncryptedCharField):
    """A resident ID number (GB 11643-1999), 18 characters, upper case — stored encrypted,
    with its lookup hash in ``digest_field`` (:mod:`cqo_registry.encryption`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", validators.ID_NUMBER_LENGTH)
        kwargs.setdefault("validators", [validators.validate_id_number])
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        # The one stored spelling's capital X, whatever reached the model.
        value = super().get_prep_value(value)
        return value.upper() if isinstance(value, str) else value

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        if kwargs.get("max_length") == validators.ID_NUMBER_LENGTH:
            kwargs.pop("max_length")
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": IdNumberFormField, "max_length": TYPED_MAX, **kwargs}
        )
