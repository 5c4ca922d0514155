from django.urls import path

from .views import persons as views

app_name = "persons"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
