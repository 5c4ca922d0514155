from django.urls import path

from .views import town as views

app_name = "town"

# Mounted at /town/; /town/ itself is the town dashboard (reports.urls).
urlpatterns = [
    path("vacancies/", views.vacancies, name="vacancies"),
    path("vacancies/export.xlsx", views.vacancies_export, name="vacancies_export"),
    path("vacancies/<int:enterprise_id>/", views.vacancy, name="vacancy"),
    path("vacancies/<int:enterprise_id>/notes/", views.vacancy_add_note, name="vacancy_note"),
    path("vacancies/<int:enterprise_id>/remind/", views.vacancy_remind, name="vacancy_remind"),
]
