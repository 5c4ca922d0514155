from django.urls import path

from .views import selection as views

app_name = "selection"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
]
