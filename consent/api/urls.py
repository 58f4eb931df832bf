from django.urls import path

from . import views

urlpatterns = [
    path("contacts/", views.ContactListApi.as_view(), name="api-contacts"),
    path("contacts/<uuid:contact_uuid>/", views.ContactDetailApi.as_view(), name="api-contact"),
    path(
        "contacts/<uuid:contact_uuid>/consent/",
        views.ContactConsentApi.as_view(),
        name="api-contact-consent",
    ),
    path(
        "contacts/<uuid:contact_uuid>/export/",
        views.ContactExportApi.as_view(),
        name="api-contact-export",
    ),
    path(
        "contacts/<uuid:contact_uuid>/erase/",
        views.ContactEraseApi.as_view(),
        name="api-contact-erase",
    ),
    path("consent-events/", views.ConsentEventListApi.as_view(), name="api-consent-events"),
    path("consent-proof/", views.ConsentProofApi.as_view(), name="api-consent-proof"),
    path("data-subject/export/", views.SubjectExportApi.as_view(), name="api-subject-export"),
    path("data-subject/erase/", views.SubjectEraseApi.as_view(), name="api-subject-erase"),
    path("optin-forms/", views.FormListApi.as_view(), name="api-optin-forms"),
    path("optin-forms/<uuid:form_uuid>/", views.FormDetailApi.as_view(), name="api-optin-form"),
    path("imports/", views.ImportListApi.as_view(), name="api-imports"),
    path("imports/<uuid:import_uuid>/", views.ImportDetailApi.as_view(), name="api-import"),
    path(
        "imports/<uuid:import_uuid>/start/",
        views.ImportStartApi.as_view(),
        name="api-import-start",
    ),
]
