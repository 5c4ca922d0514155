from django.urls import path, re_path

from . import views_tokens as views

app_name = "api_tokens"

urlpatterns = [
    path("", views.token_list, name="list"),
    path("new/", views.token_new, name="new"),
    # A token's prefix: eight letters and digits (djangorestframework-api-key's KeyGenerator).
    re_path(r"^(?P<prefix>[A-Za-z0-9]{8})/revoke/$", views.token_revoke, name="revoke"),
]
