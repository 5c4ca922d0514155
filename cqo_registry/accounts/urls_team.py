"""``/portal/users/``: the accounts of an enterprise, managed by its enterprise admin."""

from django.urls import path

from .views import team

app_name = "team"

urlpatterns = [
    path("", team.members, name="members"),
    path("invite/", team.invite, name="invite"),
    path("invitations/<int:pk>/revoke/", team.revoke, name="revoke"),
    path("<int:pk>/deactivate/", team.deactivate, name="deactivate"),
    path("<int:pk>/reactivate/", team.reactivate, name="reactivate"),
    path("<int:pk>/hand-over/", team.hand_over, name="hand_over"),
]
