from django.urls import path

from .views import sessions as views

app_name = "training"

urlpatterns = [
    path("", views.session_list, name="session_list"),
]
