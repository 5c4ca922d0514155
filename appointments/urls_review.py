from django.urls import path

from .views import review as views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("filings/<int:pk>/", views.filing, name="filing"),
]
