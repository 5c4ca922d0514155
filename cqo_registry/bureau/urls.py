from django.urls import path

from . import views

app_name = "bureau"

urlpatterns = [path("", views.settings_page, name="settings")]
