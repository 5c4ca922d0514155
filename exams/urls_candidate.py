from django.urls import path

from .views import candidate

app_name = "exam"

urlpatterns = [
    path("", candidate.sign_in, name="sign_in"),
    path("paper/", candidate.paper, name="paper"),
    path("paper/answer/", candidate.answer, name="answer"),
    path("paper/submit/", candidate.submit, name="submit"),
    path("result/", candidate.result, name="result"),
    path("certificate.pdf", candidate.certificate, name="certificate"),
    path("sign-out/", candidate.sign_out, name="sign_out"),
    path("verify/<str:token>/", candidate.verify, name="verify"),
    path("results/<int:pk>/", candidate.published_results, name="published_results"),
]
