from django.urls import path

from . import api

urlpatterns = [
    path("templates/", api.TemplateListApi.as_view(), name="api-templates"),
    path("templates/<uuid:template_uuid>/", api.TemplateDetailApi.as_view(), name="api-template"),
    path(
        "templates/<uuid:template_uuid>/render/",
        api.TemplateRenderApi.as_view(),
        name="api-template-render",
    ),
    path(
        "templates/<uuid:template_uuid>/send/",
        api.TemplateSendApi.as_view(),
        name="api-template-send",
    ),
]
