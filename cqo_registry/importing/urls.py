from django.urls import path

from . import views

app_name = "importing"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("new/<str:kind>/", views.job_new, name="new"),
    path("blank/<str:kind>.xlsx", views.blank, name="blank"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/confirm/", views.job_confirm, name="confirm"),
    path("<int:pk>/discard/", views.job_discard, name="discard"),
    path("<int:pk>/errors.xlsx", views.job_errors, name="errors"),
    path("<int:pk>/details.xlsx", views.job_details, name="details"),
]
