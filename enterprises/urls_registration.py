from django.urls import path

from .views import registration as views

app_name = "registration"

urlpatterns = [
    path("", views.register, name="register"),
    path("submitted/", views.done, name="done"),
]
