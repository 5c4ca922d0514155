from django.urls import path

from .views import selection as views

app_name = "selection"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("<int:pk>/rank/", views.campaign_rank, name="campaign_rank"),
    path("<int:pk>/publicity/", views.campaign_publicity, name="campaign_publicity"),
    path("<int:pk>/publish/", views.campaign_publish, name="campaign_publish"),
    path("<int:pk>/candidates/", views.candidates, name="candidates"),
    path("<int:pk>/nominate/<int:appointment_pk>/", views.nominate, name="nominate"),
    path("nominations/<int:pk>/", views.nomination_detail, name="nomination_detail"),
    path("nominations/<int:pk>/review/", views.nomination_review, name="nomination_review"),
]
