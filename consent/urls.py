"""Portal pages of consent (under /app/) and the public opt-in form (under /f/)."""

from django.urls import path

from . import embed, views

app_name = "consent"

urlpatterns = [
    # public: the embeddable opt-in form
    path("f/<uuid:form_uuid>/", embed.PublicFormView.as_view(), name="public-form"),
    path(
        "f/<uuid:form_uuid>/config.json",
        embed.PublicFormConfigView.as_view(),
        name="public-form-config",
    ),
    path(
        "f/<uuid:form_uuid>/submit/",
        embed.PublicFormSubmitView.as_view(),
        name="public-form-submit",
    ),
    # portal
    path("app/contacts/", views.ContactListView.as_view(), name="contacts"),
    path("app/contacts/new/", views.ContactCreateView.as_view(), name="contact-create"),
    path("app/contacts/export.csv", views.ContactsExportView.as_view(), name="contacts-export"),
    path("app/contacts/lookup/", views.SubjectRequestView.as_view(), name="subject"),
    path("app/contacts/<uuid:contact_uuid>/", views.ContactDetailView.as_view(), name="contact"),
    path(
        "app/contacts/<uuid:contact_uuid>/consent/",
        views.ContactConsentView.as_view(),
        name="contact-consent",
    ),
    path(
        "app/contacts/<uuid:contact_uuid>/opt-out/",
        views.ContactOptOutView.as_view(),
        name="contact-opt-out",
    ),
    path(
        "app/contacts/<uuid:contact_uuid>/export/",
        views.ContactExportView.as_view(),
        name="contact-export",
    ),
    path(
        "app/contacts/<uuid:contact_uuid>/erase/",
        views.ContactEraseView.as_view(),
        name="contact-erase",
    ),
    path(
        "app/contacts/<uuid:contact_uuid>/proof/",
        views.ContactProofView.as_view(),
        name="contact-proof",
    ),
    path("app/consent/proof/", views.ProofView.as_view(), name="proof"),
    path("app/forms/", views.FormListView.as_view(), name="forms"),
    path("app/forms/new/", views.FormCreateView.as_view(), name="form-create"),
    path("app/forms/<uuid:form_uuid>/", views.FormEditView.as_view(), name="form"),
    path("app/imports/", views.ImportListView.as_view(), name="imports"),
    path("app/imports/new/", views.ImportUploadView.as_view(), name="import-create"),
    path("app/imports/<uuid:import_uuid>/", views.ImportDetailView.as_view(), name="import"),
    path(
        "app/imports/<uuid:import_uuid>/progress/",
        views.ImportProgressView.as_view(),
        name="import-progress",
    ),
    path(
        "app/imports/<uuid:import_uuid>/report.csv",
        views.ImportReportView.as_view(),
        name="import-report",
    ),
]
