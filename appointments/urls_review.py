from django.urls import path

from .views import receipts
from .views import review as views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("filings/<int:pk>/", views.filing, name="filing"),
    path("filings/<int:pk>/approve/", views.filing_approve, name="filing_approve"),
    path("filings/<int:pk>/return/", views.filing_return, name="filing_return"),
    # Also the enterprise's own download (the view scopes it): review:receipt.
    path("filings/<int:pk>/receipt.pdf", receipts.receipt_pdf, name="receipt"),
    path("registrations/", views.registrations, name="registrations"),
    path("registrations/<int:pk>/", views.registration, name="registration"),
    path(
        "registrations/<int:pk>/approve/",
        views.registration_approve,
        name="registration_approve",
    ),
    path("registrations/<int:pk>/reject/", views.registration_reject, name="registration_reject"),
]
