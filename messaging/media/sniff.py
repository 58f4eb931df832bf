"""What a file is, by its content, and the copy of it that may be stored and sent.

Pure (no ORM, no settings): ``inspect`` reads bytes and answers a ``Sniffed`` — the type
decided by the content (Pillow for images, the vCard grammar for contact cards; never
the file name or the declared type), the text hidden in its metadata (EXIF descriptions
and comments, PNG text chunks, GIF comments, the whole of a vCard) so the content policy
can read it, and the bytes to keep: images re-encoded without EXIF, GPS, comments or text
chunks, and made smaller (dimensions, then quality) until they fit ``target_bytes``.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's format name -> the content type we store and send.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
VCARD = "text/vcard"
SNIFFABLE = (*IMAGE_TYPES.values(), VCARD)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    VCARD: "vcf",
}
# Decompression bombs: at most this many pixels in all (every frame of an animation counted),
# checked from the header before anything is decoded. Pillow's own MAX_IMAGE_PIXELS is per
# frame and refuses only above twice its value (between the two it only warns).
MAX_PIXELS = 40_000_000
# EXIF tags that carry free text: ImageDescription, Make, Model, Software, Artist,
# Copyright, UserComment, XPTitle, XPComment, XPAuthor, XPKeywords, XPSubject.
TEXT_TAGS = (0x010E, 0x010F, 0x0110, 0x0131, 0x013B, 0x8298, 0x9286, 0x9C9B, 0x9C9C, 0x9C9D,
             0x9C9E, 0x9C9F)  # fmt: skip
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
THUMB_SIDE = 320
METADATA_TEXT_MAX = 4000


class Unsupported(ValueError):
    """Not a file of a type we can recognise by content, or damaged."""


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    data: bytes  # what is stored and sent (cleaned, maybe smaller)
    width: int = 0
    height: int = 0
    metadata_text: str = ""  # text found in the original's metadata (for the content policy)
    had_location: bool = False  # the original carried GPS coordinates (stripped)
    resized: bool = False
    original_bytes: int = 0


def content_type_of(data: bytes) -> str:
    """The type by content only, or "" when it is none we know."""
    if _is_vcard(data):
        return VCARD
    try:
        with Image.open(io.BytesIO(data)) as im:
            return IMAGE_TYPES.get(im.format or "", "")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return ""


def _is_vcard(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return head.startswith(b"BEGIN:VCARD") and b"END:VCARD" in data.upper()


def inspect(data: bytes, *, target_bytes: int) -> Sniffed:
    """Decide the type, read the metadata text, and make the copy to keep."""
    if _is_vcard(data):
        return _vcard(data)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = im.format or ""
            if fmt not in IMAGE_TYPES:
                raise Unsupported(f"{fmt or 'This'} files cannot be sent.")
            if im.width * im.height * getattr(im, "n_frames", 1) > MAX_PIXELS:
                raise Unsupported("The picture has too many pixels.")
            im.load()
            return _image(im, fmt, len(data), target_bytes)
    except Image.DecompressionBombError as exc:
        raise Unsupported("The picture has too many pixels.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, Unsupported):
            raise
        raise Unsupported("The file is not a picture (JPEG, PNG, GIF) or a contact card.") from exc


def _vcard(data: bytes) -> Sniffed:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unsupported("The contact card is not valid UTF-8 text.") from exc
    if "\x00" in text:
        raise Unsupported("The contact card holds binary data.")
    # Every field of a card is text someone reads: all of it goes to the content policy.
    lines = []
    for raw in text.replace("\r\n ", "").replace("\n ", "").splitlines():
        _name, _, value = raw.partition(":")
        if value and _name.upper().split(";")[0] not in ("BEGIN", "END", "VERSION", "PHOTO"):
            lines.append(value.replace("\\n", " ").replace("\\,", ",").replace(";", " ").strip())
    return Sniffed(
        content_type=VCARD,
        data=data,
        metadata_text=" ".join(v for v in lines if v)[:METADATA_TEXT_MAX],
        original_bytes=len(data),
    )


def _text(value) -> str:
    if isinstance(value, bytes):
        if value[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00"):
            value = value[8:]
        for codec in ("utf-16-le", "utf-8") if b"\x00" in value else ("utf-8",):
            try:
                return value.decode(codec).strip("\x00 ")
            except UnicodeDecodeError:
                continue
        return value.decode("latin-1").strip("\x00 ")
    return str(value).strip("\x00 ") if isinstance(value, str) else ""


def metadata_of(im: Image.Image) -> tuple[str, bool]:
    """Free text in the image's metadata, and whether it carries a location."""
    texts: list[str] = []
    exif = im.getexif()
    location = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
    for source in (exif, exif.get_ifd(EXIF_IFD)):
        for tag in TEXT_TAGS:
            if tag in source:
                texts.append(_text(source[tag]))
    for key, value in (im.info or {}).items():
        if key in ("comment", "Description", "Title", "Author", "Comment", "Keywords") or (
            isinstance(value, str) and key not in ("icc_profile", "exif", "dpi")
        ):
            texts.append(_text(value))
    text = " ".join(t for t in texts if t)
    return text[:METADATA_TEXT_MAX], location


def _encode(im: Image.Image, fmt: str, *, quality: int, frames: list | None) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        im.convert("RGB").save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif fmt == "PNG":
        im.save(out, "PNG", optimize=True)
    elif fmt == "WEBP":
        im.save(out, "WEBP", quality=quality)
    elif frames and len(frames) > 1:
        frames[0].save(
            out,
            "GIF",
            save_all=True,
            append_images=frames[1:],
            loop=im.info.get("loop", 0),
            duration=im.info.get("duration", 100),
            optimize=True,
        )
    else:
        im.save(out, "GIF", optimize=True)
    return out.getvalue()


def _gif_frames(im: Image.Image) -> list[Image.Image]:
    frames = []
    for index in range(getattr(im, "n_frames", 1)):
        im.seek(index)
        frame = im.copy()
        frame.info = {}
        frames.append(frame)
    im.seek(0)
    return frames


def _image(im: Image.Image, fmt: str, original: int, target_bytes: int) -> Sniffed:
    text, location = metadata_of(im)
    loop, duration = im.info.get("loop", 0), im.info.get("duration", 100)
    frames = _gif_frames(im) if fmt == "GIF" else None
    # Turn the pixels upright by the EXIF orientation before the tag goes with the rest.
    clean = ImageOps.exif_transpose(im) if fmt != "GIF" else im.copy()
    clean.info = {"loop": loop, "duration": duration} if fmt == "GIF" else {}
    quality, scale, resized = 85, 1.0, False
    data = _encode(clean, fmt, quality=quality, frames=frames)
    # Smaller until it fits: JPEG and WebP lose quality first (down to 60), then every
    # format loses size, a fifth of each side at a time.
    while len(data) > target_bytes:
        if fmt in ("JPEG", "WEBP") and quality > 60:
            quality -= 10
        else:
            scale *= 0.8
            if min(clean.width, clean.height) * scale < 16:
                raise Unsupported("The picture cannot be made small enough to send.")
        size = (max(1, round(clean.width * scale)), max(1, round(clean.height * scale)))
        resized = True
        if frames:
            frames = [f.resize(size) for f in _gif_frames(im)]
            small = frames[0]
            small.info = clean.info
        else:
            small = clean.resize(size, Image.Resampling.LANCZOS) if scale < 1 else clean
        data = _encode(small, fmt, quality=quality, frames=frames)
    with Image.open(io.BytesIO(data)) as final:
        width, height = final.size
    return Sniffed(
        content_type=IMAGE_TYPES[fmt],
        data=data,
        width=width,
        height=height,
        metadata_text=text,
        had_location=location,
        resized=resized,
        original_bytes=original,
    )


def thumbnail(data: bytes) -> bytes:
    """A small JPEG of the (first frame of the) picture, for the inbox."""
    with Image.open(io.BytesIO(data)) as im:
        im.seek(0)
        small = im.convert("RGB")
        small.thumbnail((THUMB_SIDE, THUMB_SIDE))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80)
        return out.getvalue()
