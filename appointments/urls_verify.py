from django.urls import path

from .views import receipts as views

app_name = "verify"

urlpatterns = [
    path("<str:token>/", views.verify, name="verify"),
]
