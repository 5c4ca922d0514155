"""The browser's import form (validation only; :mod:`.jobs` does the work)."""

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .reading import SUPPORTED_SUFFIXES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("文件"),
        help_text=_("Excel 文件（.xlsx、.xls）或 .ods；第一行（或标题下面的一行）为列名。"),
    )
    create_towns = forms.BooleanField(
        label=_("创建文件中的新镇（街道）"),
        required=False,
        help_text=_(
            "不勾选时，文件中写了系统里没有的镇（街道）会报错；勾选后新建（写法与已有的镇只差"
            "空格或“镇、乡、街道”字样的，算同一个镇）。"
        ),
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if kind != "enterprises":
            del self.fields["create_towns"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise forms.ValidationError(
                _("不支持的文件类型“%(suffix)s”，请上传 .xlsx、.xls 或 .ods 文件"),
                params={"suffix": suffix or upload.name},
            )
        if upload.size > settings.CQO_IMPORT_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB，不能导入：请按镇（街道）或年份拆成几个文件"),
                params={"mb": settings.CQO_IMPORT_MAX_UPLOAD_MB},
            )
        return upload
