"""The demo county's targets for other posts (issue 19): the food and special-equipment posts'
targets the bureau admin would define, so that the leader's dashboard has a post to choose
with figures per town, and drill-downs behind them.

Due at the end of the year before the demo's today: a deadline already past (nothing the
demo holds is dated after its today but plans of its own kinds), and a month-end, so the
history's snapshot dates stay the same — that month-end's snapshot is stored as the
deadline's. Made before the history's snapshots, which then hold the post targets' figures
as they were on each date.
"""

from datetime import date

from reports.models import Criterion, Population, Target

# (code, name, post, population)
POST_TARGETS = [
    ("FS1", "食品安全总监配备到位", "food_director", Population.POST_REQUIRED),
    ("FS2", "食品安全员配备到位", "food_officer", Population.POST_REQUIRED),
    ("FS3", "食品安全员年度培训达标", "food_officer", Population.POST_HOLDERS),
    ("SE1", "特种设备安全总监配备到位", "special_equipment_director", Population.POST_REQUIRED),
    ("SE2", "特种设备安全员配备到位", "special_equipment_officer", Population.POST_REQUIRED),
]
CRITERIA = {
    Population.POST_REQUIRED: Criterion.POST_FILLED,
    Population.POST_HOLDERS: Criterion.POST_TRAINED,
}


def build_post_targets(today: date) -> list[Target]:
    """The targets of :data:`POST_TARGETS`, due on 31 December of the year before ``today``
    (made once: a second run finds them)."""
    made = []
    for code, name, post, population in POST_TARGETS:
        target, _created = Target.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "post_id": post,
                "population": population,
                "criterion": CRITERIA[population],
                "deadline": date(today.year - 1, 12, 31),
            },
        )
        made.append(target)
    return made
