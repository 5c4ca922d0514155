from django.urls import path

from .views import files

app_name = "appointments"

urlpatterns = [
    path("letters/<int:pk>/", files.letter_download, name="letter_download"),
    path("letters/<int:pk>/inline/", files.letter_inline, name="letter_inline"),
]
