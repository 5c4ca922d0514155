from django.urls import path

from .views import sessions as views

app_name = "training"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/enrol/", views.session_enrol, name="session_enrol"),
    path("sessions/<int:pk>/attendance/", views.session_attendance, name="session_attendance"),
    path(
        "sessions/<int:pk>/attendance/<int:attendance_pk>/remove/",
        views.attendance_remove,
        name="attendance_remove",
    ),
    path("import/", views.import_upload, name="import"),
    path("people/<int:pk>/", views.person_record, name="person"),
    path("untrained/", views.untrained, name="untrained"),
    path("untrained/export/", views.untrained_export, name="untrained_export"),
]
