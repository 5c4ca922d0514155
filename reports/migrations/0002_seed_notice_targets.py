import datetime

from django.db import migrations

# The three targets of the county notice (part 二), SPEC §3.
NOTICE_TARGETS = [
    ("T1", "规模以上企业首席质量官聘任到位", "above_scale", "filed_current",
     datetime.date(2021, 1, 31)),
    ("T2", "需聘任的中小企业首席质量官聘任到位", "sme_required", "filed_current",
     datetime.date(2021, 12, 31)),
    ("T3", "已备案首席质量官培训到位", "filed_cqos", "trained", datetime.date(2022, 12, 31)),
]


def seed(apps, schema_editor):
    Target = apps.get_model("reports", "Target")
    for code, name, population, criterion, deadline in NOTICE_TARGETS:
        Target.objects.get_or_create(
            code=code,
            defaults={"name": name, "population": population, "criterion": criterion,
                      "deadline": deadline, "goal_rate": 1},
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_targets")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
