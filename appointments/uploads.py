"""Checks of uploaded appointment letters (聘任文件): PDF, JPG or PNG, at most 10 MB.

The type is read from the file's content (its magic bytes, via ``filetype``), never from its
name or the browser's declared content type, and the stored name takes the extension of
the detected type — so a letter is always served as what it really is.
"""

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LETTER_BYTES = 10 * 1024 * 1024
LETTER_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
# filetype needs at most this many leading bytes to recognise any type it knows.
HEAD_BYTES = 8192


def validate_letter(upload):
    """Validate an uploaded letter and return it renamed ``letter.<detected extension>``.
    Raises ``ValidationError`` with a message the uploader can act on."""
    if upload.size is not None and upload.size > MAX_LETTER_BYTES:
        raise ValidationError(
            _("聘任文件不能超过 10 MB（当前约 %(size).1f MB），请压缩或降低扫描分辨率后重新上传。")
            % {"size": upload.size / 1024 / 1024},
            code="too_large",
        )
    if not upload.size:
        raise ValidationError(_("上传的聘任文件是空的，请重新选择文件。"), code="empty")
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in LETTER_TYPES:
        raise ValidationError(
            _(
                "聘任文件只能是 PDF、JPG 或 PNG 格式。系统按文件内容识别类型，"
                "“%(name)s”的内容不是这几种格式之一（仅修改扩展名无效）。"
            )
            % {"name": upload.name},
            code="bad_type",
        )
    upload.name = f"letter.{LETTER_TYPES[kind.mime]}"
    return upload
