from django.urls import path

from .views import risk
from .views import sanctions as views

app_name = "oversight"

urlpatterns = [
    path("", views.sanction_list, name="sanction_list"),
    path("sanctions/new/", views.sanction_create, name="sanction_create"),
    path("sanctions/<int:pk>/", views.sanction_detail, name="sanction_detail"),
    path(
        "sanctions/<int:pk>/documents/<int:document_pk>/",
        views.document_download,
        name="document_download",
    ),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new/", views.incident_create, name="incident_create"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident_edit"),
    path("risk/", risk.risk_list, name="risk_list"),
    path("risk/<int:pk>/interview/", risk.risk_interview, name="risk_interview"),
    path("risk/weights/", risk.risk_weights, name="risk_weights"),
]
