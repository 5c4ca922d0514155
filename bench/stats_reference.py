"""SPEC §3 stated plainly in SQL: the reference the statistics engine is measured against and
checked by (``bench_stats.py``; PostgreSQL only).

One statement, written the way the SPEC reads — no tuning: the enterprises active at D; the
appointments filed and current at D; the persons with a passed training that ended by D; each
target's population as rows (an enterprise, or a person for each enterprise they serve) LEFT
JOINed to the distinct set that counts it; then ``COUNT(DISTINCT …)`` over GROUPING SETS for the
county, the towns and the industry sections. Tables and columns are the models' own.
"""

from datetime import date

REFERENCE_SQL = """
WITH active AS (
    SELECT e.id, e.town_id, e.industry, e.scale, e.requires_cqo
    FROM enterprises_enterprise e
    WHERE (e.established_on IS NULL OR e.established_on <= %(day)s)
      AND (e.deregistered_on IS NULL OR e.deregistered_on > %(day)s)
),
filed_current AS (
    SELECT DISTINCT a.enterprise_id, a.person_id
    FROM appointments_appointment a
    WHERE a.filed_on <= %(day)s
      AND a.appointed_on <= %(day)s
      AND (a.ended_on IS NULL OR a.ended_on > %(day)s)
),
with_filed_cqo AS (
    SELECT DISTINCT enterprise_id FROM filed_current
),
trained AS (
    SELECT DISTINCT ta.person_id
    FROM training_trainingattendance ta
    JOIN training_trainingsession s ON s.id = ta.session_id
    WHERE ta.passed AND s.ends_on <= %(day)s
),
members AS (
    SELECT 'above_scale' AS population, a.id AS member, a.town_id, a.industry,
           w.enterprise_id IS NOT NULL AS counted
    FROM active a LEFT JOIN with_filed_cqo w ON w.enterprise_id = a.id
    WHERE a.scale = 'above'
    UNION ALL
    SELECT 'sme_required', a.id, a.town_id, a.industry, w.enterprise_id IS NOT NULL
    FROM active a LEFT JOIN with_filed_cqo w ON w.enterprise_id = a.id
    WHERE a.scale IN ('sme', 'micro') AND a.requires_cqo
    UNION ALL
    SELECT 'filed_cqos', f.person_id, a.town_id, a.industry, t.person_id IS NOT NULL
    FROM filed_current f
    JOIN active a ON a.id = f.enterprise_id
    LEFT JOIN trained t ON t.person_id = f.person_id
)
SELECT population, GROUPING(town_id, industry) AS grouping, town_id, industry,
       COUNT(DISTINCT member) AS population_count,
       COUNT(DISTINCT member) FILTER (WHERE counted) AS counted_count
FROM members
GROUP BY population, GROUPING SETS ((), (town_id), (industry))
"""

# GROUPING(town_id, industry): a bit set for each column the row is NOT grouped by.
_COUNTY, _BY_TOWN, _BY_INDUSTRY = 3, 1, 2


def reference_rows(cursor, day: date) -> list[tuple]:
    cursor.execute(REFERENCE_SQL, {"day": day})
    return cursor.fetchall()


def reference_shape(rows, targets, town_names: dict[int, str]) -> dict:
    """The reference's rows in the shape of ``bench_stats.engine_shape``: per target code,
    ((population, counted), {town name: (…)}, {section: (…)}). As in the engine, enterprises
    without a town or a section count county-wide only."""
    by_population: dict[str, list] = {}
    for population, grouping, town_id, industry, people, counted in rows:
        total, towns, sections = by_population.setdefault(population, [(0, 0), {}, {}])
        if grouping == _COUNTY:
            by_population[population][0] = (people, counted)
        elif grouping == _BY_TOWN and town_id is not None:
            towns[town_names[town_id]] = (people, counted)
        elif grouping == _BY_INDUSTRY and industry not in (None, ""):
            sections[industry] = (people, counted)
    empty = [(0, 0), {}, {}]
    return {target.code: tuple(by_population.get(target.population, empty)) for target in targets}
