from django.urls import path

from .views import cqo_registry as registry
from .views import persons as views

app_name = "persons"

urlpatterns = [
    path("", registry.registry_list, name="registry"),
    path("export.xlsx", registry.registry_export, name="registry_export"),
    path("<int:pk>/", views.detail, name="detail"),
]
