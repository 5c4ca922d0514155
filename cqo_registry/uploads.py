"""Private uploads (appointment letters, sanction and evaluation documents): one check, one
kind of model field, random stored names (SPEC §7 "uploads private and type-checked").

* :func:`check_upload` reads the type from the file's **content** (its magic bytes, via
  ``filetype``) — never from its name or the browser's declared type — and its size. Every
  write path uses it: the portal's and the bureau's forms call it for a message next to the
  field, and :class:`PrivateFileField` runs it again on ``full_clean()`` (so the admin's
  ModelForms are checked too) and once more when the file is stored, whatever path led there.
* The stored name is random, with the extension of the type found in the content; the
  original name may carry personal data and never reaches the disk.
* A replaced or deleted file is removed from storage after the commit (django-cleanup, for
  the models decorated with ``cleanup.select``).
"""

import uuid
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# MIME type → stored extension. SVG and HTML are absent on purpose: a browser runs their
# script when it opens them.
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
# Types a browser may show inline (the review page embeds a PDF or an image letter).
INLINE_TYPES = frozenset(DOCUMENT_TYPES)
# filetype needs at most this many leading bytes to recognise any type it knows.
HEAD_BYTES = 8192


@dataclass(frozen=True)
class CheckedType:
    mime: str
    extension: str


def sniff(head: bytes, allowed: dict[str, str] = DOCUMENT_TYPES) -> CheckedType | None:
    """The type of a file from its first bytes, if it is one of ``allowed`` (MIME type →
    extension); ``None`` otherwise."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in allowed:
        return None
    return CheckedType(kind.mime, allowed[kind.mime])


def check_upload(
    upload, *, allowed: dict[str, str] = DOCUMENT_TYPES, max_bytes: int = MAX_UPLOAD_BYTES
) -> CheckedType:
    """Check an uploaded file (any Django ``File``) before it is stored: at most
    ``max_bytes`` (10 MB), not empty, and of one of the ``allowed`` types by its content.

    Returns the type found; raises ``ValidationError`` (codes ``too_large``, ``empty``,
    ``bad_type``) with a message that names the file and says what to do. The file is left
    positioned at its start."""
    name = PurePath(getattr(upload, "name", "") or "").name
    size = upload.size
    if size is not None and size > max_bytes:
        raise ValidationError(
            _(
                "文件“%(name)s”超过 %(limit)d MB（约 %(size).1f MB），"
                "请压缩或降低扫描分辨率后重新上传。"
            )
            % {"name": name, "limit": max_bytes // (1024 * 1024), "size": size / 1024 / 1024},
            code="too_large",
        )
    if not size:
        raise ValidationError(
            _("文件“%(name)s”是空的，请重新选择文件。") % {"name": name}, code="empty"
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    checked = sniff(head, allowed)
    if checked is None:
        raise ValidationError(
            _("文件“%(name)s”不是 PDF、JPG 或 PNG 文件。系统按文件内容识别类型，仅修改扩展名无效。")
            % {"name": name},
            code="bad_type",
        )
    return checked


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleDocumentField(forms.FileField):
    """Several documents from one input (Django's recipe), each checked by
    :func:`check_upload`: the sanction's and the self-assessment's supporting documents."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        uploads = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(upload, initial) for upload in uploads]
        for upload in cleaned:
            if upload:
                check_upload(upload)
        return [upload for upload in cleaned if upload]


def validate_private_file(value) -> None:
    """Model-field validator: checks a file that is about to be stored. A file already in
    storage was checked when it was stored and is not read again on every save."""
    if not value or getattr(value, "_committed", True):
        return
    check_upload(value.file)


def random_name(folder: str, filename: str) -> str:
    """``<folder>/<32 random hex digits>.<extension of filename>``. The extension given here
    is the checked one (:class:`PrivateFieldFile` renames the upload before storing it)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{folder}/{uuid.uuid4().hex}.{suffix}"


class PrivateFieldFile(FieldFile):
    """Stores a file only after checking its content, under the checked type's extension."""

    def save(self, name, content, save=True):
        checked = check_upload(content)
        super().save(f"upload.{checked.extension}", content, save=save)

    save.alters_data = True


class PrivateFileField(models.FileField):
    """A private upload: PDF, JPG or PNG by content, at most 10 MB, random stored name."""

    attr_class = PrivateFieldFile
    default_validators = [validate_private_file]
