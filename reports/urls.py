from django.urls import path

from .views import assessment, dashboard, drilldown, eligibility, snapshots

app_name = "reports"

urlpatterns = [
    # Leaders and bureau staff: the whole county. Town officers: their own town.
    path("dashboard/", dashboard.county_dashboard, name="dashboard"),
    path("town/", dashboard.town_dashboard, name="town_dashboard"),
    # "Explain this number": the enterprises (or persons) behind a figure, and their export.
    path("dashboard/explain/<str:code>/", drilldown.explain, name="explain"),
    path("dashboard/explain/<str:code>/export/", drilldown.explain_export, name="explain_export"),
    # The list's count, fetched after its page has shown the rows (issue 11).
    path("dashboard/explain/<str:code>/count/", drilldown.explain_count, name="explain_count"),
    # Snapshots: recompute on demand as a task, with progress.
    path("dashboard/snapshots/recompute/", snapshots.recompute, name="snapshot_recompute"),
    path(
        "dashboard/snapshots/progress/<int:run_id>/", snapshots.progress, name="snapshot_progress"
    ),
    # The county quality-work assessment report (质量工作考核).
    path("dashboard/assessment/", assessment.assessment, name="assessment"),
    path("dashboard/assessment/export.xlsx", assessment.assessment_xlsx, name="assessment_xlsx"),
    path("dashboard/assessment/export.pdf", assessment.assessment_pdf, name="assessment_pdf"),
    # Honours eligibility (SPEC §6.3): did an enterprise have a filed CQO on a date?
    path("dashboard/eligibility/", eligibility.eligibility, name="eligibility"),
    path("dashboard/eligibility.json", eligibility.eligibility_json, name="eligibility_json"),
]
