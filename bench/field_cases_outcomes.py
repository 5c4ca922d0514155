"""Every outcome of the field-case files (``../shared/field-cases``) through the reading layer
and the importers, as JSON — to compare two checkouts (``diff`` the outputs).

    DATABASE_URL=sqlite:////tmp/NAME.sqlite3 .venv/bin/python bench/field_cases_outcomes.py \
        CHECKOUT [FIELD_CASES_DIR] > outcomes.json

The database must be migrated and have no enterprises (a copy per run). The files that others
depend on are imported first (E05a then E05b, A00, P1, P2 twice); then every ``.xlsx`` is read
and checked (dry run, ``--create-towns``) as each of the three kinds. Recorded per run: the
refusal message of an unreadable file, or the errors, warnings, summary lines and rows read.
"""

import glob
import json
import os
import sys

tree = sys.argv[1]
cases = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/field-cases"
sys.path.insert(0, tree)
os.chdir(tree)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqo_registry.settings.local")
import django  # noqa: E402

django.setup()
from cqo_registry.importing import UnreadableFile, read_workbook, run_import  # noqa: E402
from cqo_registry.importing.registry import get_importer_class  # noqa: E402


def run(name: str, kind: str, dry_run: bool) -> dict:
    try:
        workbook = read_workbook(os.path.join(cases, name))
    except UnreadableFile as exc:
        return {"unreadable": str(exc)}
    importer = get_importer_class(kind)(create_towns=True, file_name=name, from_command_line=True)
    result = run_import(importer, workbook, dry_run=dry_run)
    return {
        "errors": [str(e) for e in result.errors],
        "warnings": [str(w) for w in result.warnings],
        "summary": result.summary_lines(),
        "written": result.written,
        "rows": result.rows_read,
    }


FIRST = [
    ("E05a_towns_first.xlsx", "enterprises"),
    ("E05b_towns_variants.xlsx", "enterprises"),
    ("A00_enterprises_for_appointments.xlsx", "enterprises"),
    ("P1_enterprises.xlsx", "enterprises"),
    ("P2_same_person_two_mobiles.xlsx", "appointments"),
    ("P2_same_person_two_mobiles.xlsx", "appointments"),
]
outcomes = {}
for index, (name, kind) in enumerate(FIRST):
    outcomes[f"write {index}: {name} as {kind}"] = run(name, kind, False)
for path in sorted(glob.glob(os.path.join(cases, "*.xlsx"))):
    name = os.path.basename(path)
    for kind in ("enterprises", "appointments", "training"):
        outcomes[f"check: {name} as {kind}"] = run(name, kind, True)
json.dump(outcomes, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
