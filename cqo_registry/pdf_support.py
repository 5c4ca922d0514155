"""Whether this machine can print Chinese PDFs (receipts, assessment reports): WeasyPrint
needs Pango, and Chinese needs a CJK font such as Noto Sans CJK SC — without it every Chinese
character comes out as a box (issue 12, "Quick start on a fresh machine").

``missing()`` is asked by ``make run`` (``manage.py pdf_support``) and by the pages a bureau
admin prints from, which then warn."""

import ctypes.util
import shutil
import subprocess
from functools import cache

APT_LINE = "sudo apt-get install -y fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0"
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi")


@cache
def missing() -> list[str]:
    """What is missing, in the reader's words (empty when PDFs can print Chinese). Cached for
    the process: fonts are installed by an administrator, then the site restarted."""
    problems = []
    if ctypes.util.find_library("pango-1.0") is None:
        problems.append("Pango (libpango-1.0-0)")
    if not _cjk_font():
        problems.append("a Chinese font (fonts-noto-cjk)")
    return problems


def _cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        output = subprocess.run(
            [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(family in output for family in CJK_FAMILIES)
