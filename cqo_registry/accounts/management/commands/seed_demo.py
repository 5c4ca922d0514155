import argparse
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from appointments.models import FilingStatus
from cqo_registry import demo


def _day(value: str) -> date:
    """``--today``: a real day written YYYY-MM-DD."""
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is None:
        raise argparse.ArgumentTypeError(_("日期应为 YYYY-MM-DD：%(value)s") % {"value": value})
    return day


class Command(BaseCommand):
    help = _(
        "建立演示县：12 个镇（街道）、约 300 家企业、首席质量官及 2020 年以来的聘任、"
        "变更、解聘与备案历史、培训记录与报名、空缺岗位及跟进记录和提醒、待审核的企业注册、"
        "处于各种状态的备案、质量安全事故与约谈/警示/退出、履职评价，以及 2022 年以来每年的"
        "优秀首席质量官评选，并按历史补存各完成时限和 2021 年 1 月以来每月末的统计快照；"
        "并建立演示用户 admin、reviewer、town_officer、leader、enterprise，以及尚未备案的"
        "空缺企业账号 first_filing（用来试一次首次备案）。"
        "可重复运行：演示县按镇的统计用区划代码识别，已存在时不再改动任何数据，只核对演示用户。"
        "新建用户的密码为 --password 或默认的 %(default)s；已存在的用户只有在明确给出 "
        "--password 时才会重设密码。"
    ) % {"default": demo.DEFAULT_PASSWORD}

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help=_(
                "演示用户的密码（须符合密码策略；生产设置下必须给出）；给出时也会重设"
                "已存在的演示用户的密码。"
            ),
        )
        parser.add_argument(
            "--today",
            type=_day,
            metavar="YYYY-MM-DD",
            help=_("按指定日期建立演示县（默认今天，不能晚于今天），用于可重现的演示数据。"),
        )

    def handle(self, *args, password=None, today=None, **options):
        if password is None and not settings.CQO_DEMO_ALLOW_DEFAULT_PASSWORD:
            # Production settings: the README's well-known password would open the demo
            # accounts of a reachable server to anyone who read it.
            raise CommandError(
                _(
                    "当前为生产设置，演示账号不能使用公开的默认密码：请用 --password "
                    "指定符合密码策略的密码。"
                )
            )
        if password is not None:
            try:
                demo.check_password(password)
            except ValidationError as exc:
                raise CommandError(
                    _("密码不符合密码策略：%(reasons)s") % {"reasons": " ".join(exc.messages)}
                ) from exc
        if today is not None and today > timezone.localdate():
            raise CommandError(_("--today 不能晚于今天：%(day)s") % {"day": today.isoformat()})
        result = demo.seed_demo(password=password, today=today)
        self._print_users(result.users)
        if result.created:
            counts = result.counts
            by_status = "、".join(
                f"{label} {result.filings_by_status.get(value, 0)}"
                for value, label in FilingStatus.choices
            )
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "已建立演示县：%(towns)d 个镇（街道）、%(enterprises)d 家企业、"
                        "%(persons)d 名人员、%(appointments)d 条聘任、%(filings)d 条备案"
                        "（%(by_status)s）、%(sessions)d 期培训班、%(attendances)d 条培训记录；"
                        "%(registrations)d 份待审核的企业注册、%(evaluations)d 份履职评价、"
                        "%(campaigns)d 次评选（%(honoured)d 人当选）、"
                        "%(incidents)d 起质量安全事故、%(sanctions)d 项约谈/警示/退出。"
                    )
                    % {**counts, "by_status": by_status}
                )
            )
            self.stdout.write(
                _(
                    "已按历史补存 %(snapshots)d 个统计快照（各完成时限及 2021 年 1 月以来每月末），"
                    "统计看板的趋势图自此有数据。"
                )
                % {"snapshots": result.snapshots}
            )
            if result.applicant:
                self.stdout.write(
                    _(
                        "另有企业自助注册并已激活的账号 %(username)s（空缺企业，密码同上），"
                        "以及其他各镇的联络员账号 officer_<镇代码>（不可登录）。"
                    )
                    % {"username": result.applicant}
                )
        else:
            self.stdout.write(
                _("演示县已存在（按镇的统计用区划代码识别），未改动数据；已核对演示用户。")
            )

    def _print_users(self, rows):
        header = (_("用户名"), _("角色"), _("范围"), _("密码"))
        unchanged = _("（未更改）")
        table = [header] + [
            (row.username, row.role, row.scope, row.password or unchanged) for row in rows
        ]
        widths = [max(demo.display_width(str(line[i])) for line in table) for i in range(4)]
        for line in table:
            cells = [demo.pad(str(cell), width) for cell, width in zip(line, widths, strict=True)]
            self.stdout.write("  ".join(cells).rstrip())
