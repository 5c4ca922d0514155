"""A URLconf with one view that fails on a bad page number, to show that the hostile
parameter check in ``test_hostile_params`` catches a failing view."""

from django.http import HttpResponse
from django.urls import path


def failing(request):
    int(request.GET.get("page", "1"))
    return HttpResponse("ok")


urlpatterns = [path("failing/", failing, name="failing")]
