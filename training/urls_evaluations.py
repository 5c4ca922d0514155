from django.urls import path

from .views import evaluations as views

app_name = "evaluations"

urlpatterns = [
    path("", views.list, name="list"),
    path("open/", views.open_year, name="open_year"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/self/", views.self_save, name="self_save"),
    path("<int:pk>/submit/", views.self_submit, name="self_submit"),
    path("<int:pk>/score/", views.score, name="score"),
    path("<int:pk>/documents/<int:document_pk>/", views.document_download, name="document"),
    path(
        "<int:pk>/documents/<int:document_pk>/remove/",
        views.document_remove,
        name="document_remove",
    ),
]
