from django.urls import path

from .views import sanctions as views

app_name = "oversight"

urlpatterns = [
    path("", views.sanction_list, name="sanction_list"),
]
