from django.urls import path

from .views import town as views

app_name = "town"

urlpatterns = [
    path("vacancies/", views.vacancies, name="vacancies"),
]
