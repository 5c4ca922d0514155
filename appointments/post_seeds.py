"""The posts (岗位) the registry starts with (issue 19 §1): the CQO exactly as SPEC §2–§3
define it, and the six posts of SAMR's 2022–2023 regulations on enterprises' primary
responsibility for food, industrial-product quality and special-equipment safety.

Plain data, read by migration ``appointments.0010_posts`` (which seeds them) and by
``appointments.apps`` after every ``flush`` (which puts back any that is missing, as Django
does for permissions). Change a seeded post in the admin or by a new data migration, not here.
"""

from datetime import date

FOOD_BASIS = "《企业落实食品安全主体责任监督管理规定》（国家市场监督管理总局，2022年）"
QUALITY_BASIS = (
    "《工业产品生产单位落实质量安全主体责任监督管理规定》（国家市场监督管理总局，2023年）"
)
SPECIAL_BASIS = (
    "《特种设备使用单位落实使用安全主体责任监督管理规定》（国家市场监督管理总局，2023年）"
)
# The days the regulations took effect: a post is vacant from then at the earliest.
FOOD_IN_FORCE = date(2022, 11, 1)
SAMR_2023_IN_FORCE = date(2023, 5, 5)
FOOD_LICENCES = ["food_production", "food_trading"]
QUALITY_LICENCES = ["industrial_product", "ccc"]
SPECIAL_LICENCES = ["special_equipment"]
# Directors where the enterprise is of some size; officers wherever the licence is held.
DIRECTOR_SCALES = ["above", "sme"]

SEEDED_POSTS = [
    {
        "code": "cqo",
        "name": "首席质量官",
        "name_en": "Chief Quality Officer",
        "legal_basis": "县人民政府关于推行企业首席质量官制度的通知（2020年）",
        "requires_cqo": True,
        "holders": "one",
        "senior_manager_required": True,
        "training_hours": 0,
        "exam_required": False,
        "sort_order": 0,
    },
    {
        "code": "food_director",
        "name": "食品安全总监",
        "name_en": "Food Safety Director",
        "legal_basis": FOOD_BASIS,
        "in_force_from": FOOD_IN_FORCE,
        "scales": DIRECTOR_SCALES,
        "licences": FOOD_LICENCES,
        "holders": "one",
        "senior_manager_required": True,
        "training_hours": 40,
        "exam_required": True,
        "sort_order": 10,
    },
    {
        "code": "food_officer",
        "name": "食品安全员",
        "name_en": "Food Safety Officer",
        "legal_basis": FOOD_BASIS,
        "in_force_from": FOOD_IN_FORCE,
        "licences": FOOD_LICENCES,
        "holders": "at_least_one",
        "training_hours": 40,
        "exam_required": True,
        "sort_order": 11,
    },
    {
        "code": "quality_director",
        "name": "质量安全总监",
        "name_en": "Quality Safety Director",
        "legal_basis": QUALITY_BASIS,
        "in_force_from": SAMR_2023_IN_FORCE,
        "scales": DIRECTOR_SCALES,
        "licences": QUALITY_LICENCES,
        "holders": "one",
        "senior_manager_required": True,
        "exam_required": True,
        "sort_order": 20,
    },
    {
        "code": "quality_officer",
        "name": "质量安全员",
        "name_en": "Quality Safety Officer",
        "legal_basis": QUALITY_BASIS,
        "in_force_from": SAMR_2023_IN_FORCE,
        "licences": QUALITY_LICENCES,
        "holders": "at_least_one",
        "exam_required": True,
        "sort_order": 21,
    },
    {
        "code": "special_equipment_director",
        "name": "特种设备安全总监",
        "name_en": "Special Equipment Safety Director",
        "legal_basis": SPECIAL_BASIS,
        "in_force_from": SAMR_2023_IN_FORCE,
        "scales": DIRECTOR_SCALES,
        "licences": SPECIAL_LICENCES,
        "holders": "one",
        "senior_manager_required": True,
        "exam_required": True,
        "sort_order": 30,
    },
    {
        "code": "special_equipment_officer",
        "name": "特种设备安全员",
        "name_en": "Special Equipment Safety Officer",
        "legal_basis": SPECIAL_BASIS,
        "in_force_from": SAMR_2023_IN_FORCE,
        "licences": SPECIAL_LICENCES,
        "holders": "at_least_one",
        "exam_required": True,
        "sort_order": 31,
    },
]


def seed_posts(manager) -> int:
    """Create every seeded post that is missing (by code); returns how many were created.
    ``manager``: a manager of ``PostType``, real or historical (a migration's)."""
    created = 0
    for fields in SEEDED_POSTS:
        values = dict(fields)
        _post, made = manager.get_or_create(code=values.pop("code"), defaults=values)
        created += made
    return created
