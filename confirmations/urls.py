from django.urls import path

from . import views

app_name = "confirmations"

urlpatterns = [
    path("", views.round_list, name="list"),
    path("open/", views.round_open, name="open"),
    path("<int:year>/", views.round_detail, name="round"),
    path("<int:year>/export.xlsx", views.round_export, name="export"),
    path("<int:year>/close/", views.round_close, name="close"),
]
