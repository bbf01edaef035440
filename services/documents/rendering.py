"""The one way the documents service makes a PDF: an HTML template (Jinja2,
services/documents/templates) laid out by WeasyPrint, and pypdf to put PDFs
together. Generated files are named by a fingerprint of what they were made
from, so the same content is made once and any change makes a new one."""
import hashlib
import io
import json
import os

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from services.common.dates import french_date

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")


def _lines(value):
    return [line for line in str(value or "").split("\n")]


def _filters(env):
    env.filters["day"] = french_date
    env.filters["lines"] = _lines
    return env


PAGES = _filters(Environment(loader=FileSystemLoader(TEMPLATES),
                             autoescape=select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True))
# Letter wordings are typed by staff: rendered in the sandbox (no attribute
# walking to Python internals); plain text, escaped where the page prints it.
WORDINGS = _filters(SandboxedEnvironment(autoescape=False))


def page(template, **context):
    return PAGES.get_template(template).render(**context)


def wording(body, **context):
    return WORDINGS.from_string(body).render(**context)


def html_pdf(html):
    """PDF bytes of an HTML page (relative URLs resolve in the templates folder)."""
    from weasyprint import HTML  # heavy import: only in the workers that render
    return HTML(string=html, base_url=TEMPLATES).write_pdf()


def html_document(html):
    """WeasyPrint's laid-out document: its pages know the anchors they hold."""
    from weasyprint import HTML
    return HTML(string=html, base_url=TEMPLATES).render()


def fingerprint(kind, data):
    """SHA-256 of what a generated PDF is made from (and of its template files'
    version, so a new layout makes new files)."""
    blob = json.dumps([kind, LAYOUT_VERSION, data], sort_keys=True, default=str,
                      ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


# Raised when the templates change in a way the cached PDFs must not survive.
LAYOUT_VERSION = 1


def image_pdf(data):
    """A JPEG or PNG as a one-page PDF (a piece photographed or scanned)."""
    from PIL import Image
    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PDF", resolution=150)
    return out.getvalue()
