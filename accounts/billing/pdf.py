"""Invoice PDFs with WeasyPrint: HTML from a template, system fonts only (nothing is
fetched: the URL fetcher refuses every URL, so no CDN font or image can slip in)."""

from django.template.loader import render_to_string
from weasyprint import HTML


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"invoice PDFs fetch nothing ({url})")


def render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf
