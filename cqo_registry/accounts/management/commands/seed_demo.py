from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appointments.models import FilingStatus
from cqo_registry import demo


class Command(BaseCommand):
    help = _(
        "建立演示县：12 个镇（街道）、约 300 家企业、首席质量官及 2020 年以来的聘任、"
        "变更、解聘与备案历史、培训记录与报名、空缺岗位及跟进记录和提醒、待审核的企业注册、"
        "处于各种状态的备案、质量安全事故与约谈/警示/退出、履职评价，以及 2022 年以来每年的"
        "优秀首席质量官评选；并建立演示用户 admin、reviewer、town_officer、leader、enterprise。"
        "可重复运行：演示县按镇的统计用区划代码识别，已存在时不再改动任何数据，只核对演示用户。"
        "新建用户的密码为 --password 或默认的 %(default)s；已存在的用户只有在明确给出 "
        "--password 时才会重设密码。"
    ) % {"default": demo.DEFAULT_PASSWORD}

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help=_("演示用户的密码（须符合密码策略）；给出时也会重设已存在的演示用户的密码。"),
        )

    def handle(self, *args, password=None, **options):
        if password is not None:
            try:
                demo.check_password(password)
            except ValidationError as exc:
                raise CommandError(
                    _("密码不符合密码策略：%(reasons)s") % {"reasons": " ".join(exc.messages)}
                ) from exc
        result = demo.seed_demo(password=password)
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
