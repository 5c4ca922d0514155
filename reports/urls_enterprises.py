from django.urls import path

from enterprises.views import upkeep as views

from .views import enterprise_registry as registry

app_name = "enterprises"

urlpatterns = [
    path("", registry.registry_list, name="registry"),
    path("export.xlsx", registry.registry_export, name="registry_export"),
    path("<int:pk>/", registry.enterprise_detail, name="detail"),
    path("incomplete/", views.incomplete, name="incomplete"),
    path("incomplete/<int:pk>/", views.complete, name="complete"),
]
