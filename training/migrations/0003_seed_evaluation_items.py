from decimal import Decimal

from django.db import migrations

# The duties (notice part 四, items 1–5) and the main tasks (part 五, items 一–五), ten points
# each. The bureau adjusts items, weights and order in the admin.
ITEMS = [
    ("D1", "duty", "组织企业执行国家有关质量、计量、标准化、认证认可、检验检测和知识产权等方面的法律、法规及政策"),
    ("D2", "duty", "参加企业高层例会，参与企业经营管理决策"),
    ("D3", "duty", "在企业内部行使质量安全“一票否决”权"),
    ("D4", "duty", "负责质量、品牌、标准化规划的制定与实施，质量检控、质量管理体系、质量考核奖惩、质量攻关与创新、质量人才培养和质量文化建设"),
    ("D5", "duty", "参与政府部门组织的质量政策制定、质量提升、质量宣传、质量教育、质量诊断等质量活动"),
    ("T1", "task", "夯实质量基础工作：质量基础设施投入、计量管理、采用先进标准、检验能力、质量认证、质量人才队伍"),
    ("T2", "task", "提升质量发展水平：质量攻关和技术创新、全面质量管理、卓越绩效、群众性质量改进、自主品牌建设"),
    ("T3", "task", "发挥标杆引领作用：“传帮带”、供应链质量一致、企业标准领跑者、联盟标准"),
    ("T4", "task", "筑牢质量安全底线：风险研判、质量安全保证和追溯体系、岗位责任制、质量事故报告及应急处理、HACCP等认证"),
    ("T5", "task", "积极履行社会责任：缺陷产品召回制度、帮扶小微企业、发布社会责任报告、诚信自律"),
]


def seed(apps, schema_editor):
    EvaluationItem = apps.get_model("training", "EvaluationItem")
    for order, (code, category, title) in enumerate(ITEMS, start=1):
        EvaluationItem.objects.get_or_create(
            code=code,
            defaults={"category": category, "title": title, "max_score": Decimal(10),
                      "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("training", "0002_evaluations_selection")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
