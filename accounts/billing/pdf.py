"""Invoice PDFs with WeasyPrint: HTML from a template, system fonts only (nothing is
fetched: the URL fetcher refuses every URL, so no CDN font or image can slip in)."""

from pathlib import Path

from django.template.loader import render_to_string
from weasyprint import CSS, HTML

STYLES = Path(__file__).with_name("invoice_pdf.css")


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"invoice PDFs fetch nothing ({url})")


def render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    styles = CSS(string=STYLES.read_text(), url_fetcher=_no_fetch)
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=[styles])
    assert pdf is not None  # write_pdf without a target returns the bytes
    return pdf
