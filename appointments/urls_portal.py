from django.urls import path

from .views import portal as views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("filings/new/", views.filing_new, name="filing_new"),
    path("filings/change/", views.filing_change, name="filing_change"),
    path("filings/dismiss/", views.filing_dismiss, name="filing_dismiss"),
    path("filings/<int:pk>/", views.filing_detail, name="filing"),
    path("filings/<int:pk>/edit/", views.filing_edit, name="filing_edit"),
    path("filings/<int:pk>/submit/", views.filing_submit, name="filing_submit"),
    path("filings/<int:pk>/withdraw/", views.filing_withdraw, name="filing_withdraw"),
]
