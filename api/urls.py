from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import schema, views  # noqa: F401  (schema registers the token scheme)

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/docs.html"),
        name="docs",
    ),
    path("enterprises/", views.EnterpriseList.as_view(), name="enterprises"),
    path("enterprises/<int:pk>/", views.EnterpriseDetail.as_view(), name="enterprise"),
    path("cqos/", views.CurrentCqoList.as_view(), name="cqos"),
    path("filings/", views.FilingList.as_view(), name="filings"),
    path("training-records/", views.TrainingRecordList.as_view(), name="training_records"),
    path("statistics/", views.Statistics.as_view(), name="statistics"),
] + [
    path(
        f"changes/{resource}/",
        views.ChangeFeed.as_view(resource=resource),
        name=f"changes_{resource.replace('-', '_')}",
    )
    for resource in views.FEEDS
]
# [\s\S]: any character, a line break included (".*" stops at one, and such an address fell
# through to the site's HTML 404; schemathesis found it).
urlpatterns.append(re_path(r"^(?P<rest>[\s\S]*)$", views.not_found, name="not_found"))
