from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("enterprises/<int:pk>/", views.enterprise, name="enterprise"),
]
