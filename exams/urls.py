from django.urls import path

from .views import questions, results, rules, sittings

app_name = "exams"

urlpatterns = [
    path("questions/", questions.question_list, name="question_list"),
    path("questions/new/", questions.question_edit, name="question_create"),
    path("questions/<int:pk>/", questions.question_edit, name="question_edit"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/<slug:post>/", rules.rule_edit, name="rule_edit"),
    path("", sittings.sitting_list, name="sitting_list"),
    path("results/", results.results_overview, name="results"),
    path("results/export/", results.results_export, name="results_export"),
    path("sittings/new/", sittings.sitting_edit, name="sitting_create"),
    path("sittings/<int:pk>/", sittings.sitting_detail, name="sitting"),
    path("sittings/<int:pk>/edit/", sittings.sitting_edit, name="sitting_edit"),
    path("sittings/<int:pk>/candidates/", sittings.sitting_add_candidates, name="sitting_add"),
    path(
        "sittings/<int:pk>/candidates/<int:candidate_pk>/remove/",
        sittings.candidate_remove,
        name="candidate_remove",
    ),
    path("sittings/<int:pk>/open/", sittings.sitting_open, name="sitting_open"),
    path("sittings/<int:pk>/close/", sittings.sitting_close, name="sitting_close"),
    path("sittings/<int:pk>/print/", sittings.sitting_print, name="sitting_print"),
    path("sittings/<int:pk>/results.xlsx", sittings.sitting_results, name="sitting_results"),
    path("papers/<int:pk>/", sittings.paper_detail, name="paper"),
    path("papers/<int:pk>/certificate.pdf", sittings.paper_certificate, name="certificate"),
]
