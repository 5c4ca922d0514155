from django.urls import path

from .views import evaluations as views

app_name = "evaluations"

urlpatterns = [
    path("", views.list, name="list"),
]
