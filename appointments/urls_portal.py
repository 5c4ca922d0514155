from django.urls import path

from confirmations import views_portal as confirmation

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
    # The yearly confirmation (issue 17 §3).
    path("confirmation/", confirmation.confirmation, name="confirmation"),
    path("confirmation/change/", confirmation.confirmation_change, name="confirmation_change"),
    path("confirmation/vacancy/", confirmation.confirmation_vacancy, name="confirmation_vacancy"),
]
