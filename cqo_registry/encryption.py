"""Personal data encrypted at rest (issue 14 §2; PIPL §51, MLPS 2.0 level 3 数据保密性).

ID numbers and mobiles are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package): the database, its backups and its history tables never hold them in
plain text. An exact-match lookup needs no decryption: the ID number also has a keyed hash
(HMAC-SHA256, hex) in its own column, which carries the uniqueness constraint and serves
``filter(id_number=…)``, ``id_number__in`` and ``id_number__iexact`` — the field turns these
lookups into lookups of the hash. Any other lookup (``contains``, ``startswith``…) on an
encrypted field is refused (``FieldError``): it could only compare ciphertext.

Keys come from the environment:

* ``CQO_DATA_KEYS`` — Fernet keys (``Fernet.generate_key()``), comma-separated. The first
  encrypts; all of them decrypt, so that a new key can be put first and the old ones kept
  until ``manage.py rotate_data_keys`` has re-encrypted every row with the new one.
* ``CQO_DATA_HMAC_KEY`` — the lookup hash's key (any long random string). Changing it needs
  ``rotate_data_keys`` too (the hashes are recomputed from the decrypted values); lookups by
  ID number find nobody until it has run.

Production settings refuse to start without them; elsewhere (a developer's machine, tests)
both are derived from ``SECRET_KEY``.
"""

import base64
import hashlib
import hmac
import json
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models
from django.db.models.lookups import Exact, In, Lookup
from django.db.models.query_utils import DeferredAttribute


def _derived(purpose: str) -> bytes:
    return hashlib.sha256(f"cqo-{purpose}:{settings.SECRET_KEY}".encode()).digest()


def derived_key() -> str:
    """The Fernet key used when ``CQO_DATA_KEYS`` is empty (never in production)."""
    return base64.urlsafe_b64encode(_derived("data-key")).decode()


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if not keys:
        keys = (derived_key(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    """The keys of ``CQO_DATA_KEYS`` (first encrypts, all decrypt)."""
    return _fernet_for(tuple(settings.CQO_DATA_KEYS), settings.SECRET_KEY)


def _hmac_key() -> bytes:
    key = settings.CQO_DATA_HMAC_KEY
    return key.encode() if key else _derived("data-hmac")


def encrypt(text: str) -> str:
    """``text`` as a Fernet token (ASCII); ``""`` stays ``""`` (nothing to hide)."""
    return fernet().encrypt(text.encode()).decode() if text else text


# How many decrypted tokens a process keeps (issue 15 §1): a list page shows the same ~50 ID
# numbers at every request, and each costs an HMAC check and an AES decryption. Only tokens
# of up to KEPT_TOKEN_LENGTH characters (an ID number's or a mobile's are ~120; a filing's
# declared person ~300-500): at most ~20 MB.
DECRYPTED_KEPT = 8192
KEPT_TOKEN_LENGTH = 1024


@lru_cache(maxsize=DECRYPTED_KEPT)
def _decrypted(keys: tuple[str, ...], secret: str, token: str) -> str:
    # A token never changes its text (a new value is a new token, with its own IV), so its
    # text can be kept. It is kept under the keys in use: with its key removed from
    # CQO_DATA_KEYS, a token is refused again. Keeping the text in memory shows nothing new to
    # whoever can read this process: the keys are in the same memory.
    return _fernet_for(keys, secret).decrypt(token.encode()).decode()


def decrypt(token: str) -> str:
    """The text of a token made by :func:`encrypt` with any key of ``CQO_DATA_KEYS``, kept
    per process for the next time (``DECRYPTED_KEPT`` tokens of up to ``KEPT_TOKEN_LENGTH``
    characters, least recently used dropped).
    Raises ``cryptography.fernet.InvalidToken`` for anything else (plain text, a token of an
    unknown key)."""
    if not token:
        return token
    if len(token) > KEPT_TOKEN_LENGTH:
        return fernet().decrypt(token.encode()).decode()
    return _decrypted(tuple(settings.CQO_DATA_KEYS), settings.SECRET_KEY, token)


def reencrypt(token: str) -> str:
    """``token`` encrypted again with the first key (``MultiFernet.rotate``)."""
    return fernet().rotate(token.encode()).decode() if token else token


def digest(text: str) -> str:
    """The lookup hash of ``text`` (already in its stored spelling): HMAC-SHA256, 64 hex
    characters; ``""`` for ``""``."""
    if not text:
        return ""
    return hmac.new(_hmac_key(), str(text).upper().encode(), hashlib.sha256).hexdigest()


class _DigestingAttribute(DeferredAttribute):
    """Setting the encrypted value sets its lookup hash too, so that the hash is right before
    any save (model validation's uniqueness check, ``bulk_create``)."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value
        if self.field.digest_field:
            instance.__dict__[self.field.digest_field] = digest(value or "")


class DigestExact(Lookup):
    """``encrypted_field=value`` as ``<its digest column> = digest(value)``."""

    lookup_name = "exact"
    prepare_rhs = False

    def _digest_col(self):
        field = self.lhs.output_field
        return field.model._meta.get_field(field.digest_field).get_col(self.lhs.alias)

    def as_sql(self, compiler, connection):
        if not isinstance(self.rhs, str):
            raise FieldError("an encrypted field is compared with a string only")
        return Exact(self._digest_col(), digest(self.rhs)).as_sql(compiler, connection)


class DigestIExact(DigestExact):
    lookup_name = "iexact"


class DigestIn(DigestExact):
    lookup_name = "in"

    def as_sql(self, compiler, connection):
        values = [digest(str(v)) for v in self.rhs]
        return In(self._digest_col(), values).as_sql(compiler, connection)


class EncryptedCharField(models.CharField):
    """A ``CharField`` (its ``max_length`` and validators apply to the plain text) stored as
    a Fernet token in a text column. With ``digest_field`` (the name of a
    :class:`DigestField` on the same model), exact lookups go through that hash; without,
    only ``isnull`` and the empty string can be looked up."""

    descriptor_class = _DigestingAttribute

    def __init__(self, *args, digest_field: str = "", **kwargs):
        self.digest_field = digest_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.digest_field:
            kwargs["digest_field"] = self.digest_field
        return name, path, args, kwargs

    def db_type(self, connection):
        return connection.data_types["TextField"]

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        return encrypt(value) if value else value

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if self.digest_field:
            return {"exact": DigestExact, "iexact": DigestIExact, "in": DigestIn}.get(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnlyExact
        return None

    def get_transform(self, lookup_name):
        return None


class _EmptyOnlyExact(Exact):
    def get_db_prep_lookup(self, value, connection):
        if value:
            raise FieldError("an encrypted field without a lookup hash can only match ''")
        return super().get_db_prep_lookup(value, connection)


class _DigestAttribute(DeferredAttribute):
    """A row being made sets its fields in order: the hash's default ("") set after the
    encrypted value must not overwrite the hash that value set."""

    def __set__(self, instance, value):
        if not value:
            for field in instance._meta.concrete_fields:
                if getattr(field, "digest_field", "") == self.field.attname:
                    value = digest(instance.__dict__.get(field.attname) or "")
        instance.__dict__[self.field.attname] = value


class DigestField(models.CharField):
    """The lookup hash of an :class:`EncryptedCharField` (kept current by that field)."""

    descriptor_class = _DigestAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 64:
            kwargs.pop("max_length")
        kwargs.pop("editable", None)
        return name, path, args, kwargs


class EncryptedJSONField(models.TextField):
    """A JSON value (a dict of what someone typed) stored as a Fernet token of its JSON text.
    Nothing inside it can be looked up in the database; only ``isnull``."""

    def get_prep_value(self, value):
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(decrypt(value)) if value else {}

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise forms.ValidationError(str(error)) from error
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, cls=DjangoJSONEncoder)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.JSONField, **kwargs})

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name):
        return None


def convert_columns(schema_editor, *, table: str, key: str, columns: list[str], change) -> None:
    """For a data migration: rewrite ``columns`` of every row of ``table`` (primary key
    ``key``) with ``change(value)`` (``encrypt``, ``decrypt``…), in batches, with raw SQL —
    a migration's historical models would read the columns through the field already."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    listed = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(key)}, {listed} FROM {quote(table)} ORDER BY {quote(key)}")
        rows = cursor.fetchall()
    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
    for start in range(0, len(rows), 2000):
        updates = [
            (*(change(value) if value is not None else None for value in values), pk)
            for pk, *values in rows[start : start + 2000]
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(table)} SET {assignments} WHERE {quote(key)} = %s", updates
            )


def encrypt_tables(tables: list[tuple[str, str, list[str]]]) -> migrations.RunPython:
    """A data migration's operation for columns that became encrypted fields: forwards it
    encrypts, backwards it decrypts, in place, the ``columns`` of every row of each
    ``(table, primary key column, columns)`` of ``tables`` (``convert_columns``). NULL stays
    NULL and ``""`` stays ``""``. Issue 14 §2: existing personal data encrypted at rest."""
    tables = [(table, key, list(columns)) for table, key, columns in tables]

    def convert(schema_editor, change) -> None:
        for table, key, columns in tables:
            convert_columns(schema_editor, table=table, key=key, columns=columns, change=change)

    def encrypt_rows(apps, schema_editor):
        convert(schema_editor, encrypt)

    def decrypt_rows(apps, schema_editor):
        convert(schema_editor, decrypt)

    return migrations.RunPython(encrypt_rows, decrypt_rows)


def encrypted_models() -> list[tuple[type[models.Model], list[str]]]:
    """Every installed model with encrypted fields (history models included), with the names
    of those fields."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedCharField | EncryptedJSONField)
        ]
        if names:
            found.append((model, names))
    return found
