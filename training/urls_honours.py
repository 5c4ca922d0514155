from django.urls import path

from .views import honours as views

app_name = "honours"

urlpatterns = [
    path("", views.roll, name="roll"),
]
