"""Images become PDF pages, and a piece's files one PDF.

A photo is turned upright from its EXIF orientation, scaled down to what an A4
page shows at PAGE_DPI, recompressed as JPEG and laid on an A4 page by img2pdf
(which embeds the JPEG as it is, without decoding it again); a 6 MB phone
photo ends well under a megabyte. Files on disk in, files on disk out."""
import io

import img2pdf
from PIL import Image, ImageOps
from pypdf import PdfWriter

PAGE_DPI = 170                       # readable print quality, small files
A4_INCHES = (8.27, 11.69)
A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
JPEG_QUALITY = 75


def _fitted(image):
    """The image shrunk (never enlarged) to fit an A4 page at PAGE_DPI, in its orientation."""
    short, long = (round(side * PAGE_DPI) for side in A4_INCHES)
    box = (short, long) if image.height >= image.width else (long, short)
    scale = min(box[0] / image.width, box[1] / image.height, 1.0)
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def image_to_pdf(source, target):
    """Writes to `target` a one-page A4 PDF of the image at path `source`."""
    with Image.open(source) as original:
        if original.format == "JPEG":
            # decoded at the smallest scale (1/2, 1/4, 1/8) still larger than the page
            # needs: a phone photo costs a quarter of the time and memory
            short = round(min(A4_INCHES) * PAGE_DPI)
            original.draft("RGB", (short, short))
        image = ImageOps.exif_transpose(original)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image = _fitted(image)
        jpeg = io.BytesIO()
        image.save(jpeg, format="JPEG", quality=JPEG_QUALITY, optimize=True,
                   dpi=(PAGE_DPI, PAGE_DPI))
    portrait = image.height >= image.width
    page = A4 if portrait else (A4[1], A4[0])
    layout = img2pdf.get_layout_fun(page, fit=img2pdf.FitMode.into)
    with open(target, "wb") as out:
        img2pdf.convert(jpeg.getvalue(), layout_fun=layout, outputstream=out,
                        rotation=img2pdf.Rotation.ifvalid)


def merge(sources, target):
    """Writes to `target` the PDFs at `sources`, one after the other, in that order."""
    writer = PdfWriter()
    for source in sources:
        writer.append(str(source))
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    with open(target, "wb") as out:
        writer.write(out)
