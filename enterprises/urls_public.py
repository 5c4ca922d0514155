from django.urls import path

from .views import public as views

app_name = "public"

urlpatterns = [
    path("", views.lookup, name="lookup"),
]
