from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("letters/<int:pk>/", views.letter_download, name="letter_download"),
]
