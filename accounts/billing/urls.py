from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("app/billing/", views.BillingView.as_view(), name="overview"),
    path("app/billing/invoices/<uuid:invoice_uuid>/", views.InvoiceView.as_view(), name="invoice"),
    path(
        "app/billing/invoices/<uuid:invoice_uuid>/pdf/",
        views.InvoicePdfView.as_view(),
        name="invoice-pdf",
    ),
    path("webhooks/processor/", views.ProcessorWebhookView.as_view(), name="processor-webhook"),
]
