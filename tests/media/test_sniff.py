"""The pure core: type by content, metadata read then stripped, pictures shrunk to fit."""

import io

import pytest
from PIL import Image, PngImagePlugin

from messaging.media import sniff

from .conftest import VCARD, photo, png


def test_type_is_the_contents_not_the_name():
    assert sniff.content_type_of(png()) == "image/png"
    assert sniff.content_type_of(photo()) == "image/jpeg"
    assert sniff.content_type_of(VCARD) == "text/vcard"
    assert sniff.content_type_of(b"%PDF-1.7 not a picture") == ""
    assert sniff.content_type_of(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == ""


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n...", b"GIF89a-broken", b"\x89PNG\r\n\x1a\n-truncated", b"MZ\x90\x00", b""],
)
def test_anything_else_is_refused(data):
    with pytest.raises(sniff.Unsupported):
        sniff.inspect(data, target_bytes=500_000)


def test_exif_and_location_are_stripped_and_their_text_kept_for_the_policy():
    found = sniff.inspect(photo(description="Weekend special"), target_bytes=500_000)
    assert found.content_type == "image/jpeg"
    assert found.had_location
    assert "Weekend special" in found.metadata_text and "Test Camera" in found.metadata_text
    with Image.open(io.BytesIO(found.data)) as clean:
        assert not clean.getexif()
        assert "exif" not in clean.info


def test_large_pictures_are_resized_and_recompressed_under_the_target():
    original = photo((3000, 2000))
    assert len(original) > 1_000_000
    found = sniff.inspect(original, target_bytes=300_000)
    assert len(found.data) <= 300_000
    assert found.resized and found.width < 3000 and found.original_bytes == len(original)
    assert found.width / found.height == pytest.approx(1.5, rel=0.01)


def test_small_pictures_keep_their_size():
    found = sniff.inspect(png(), target_bytes=500_000)
    assert (found.width, found.height, found.resized) == (64, 48, False)


def test_png_text_chunks_are_read_and_dropped():
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "visit our dispensary")
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, "PNG", pnginfo=meta)
    found = sniff.inspect(out.getvalue(), target_bytes=500_000)
    assert "dispensary" in found.metadata_text
    with Image.open(io.BytesIO(found.data)) as clean:
        assert "Comment" not in clean.info


def test_animated_gif_keeps_its_frames_loses_its_comment():
    frames = [Image.new("RGB", (40, 40), c) for c in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], comment=b"call 555", duration=80
    )
    found = sniff.inspect(out.getvalue(), target_bytes=500_000)
    assert found.content_type == "image/gif" and "call 555" in found.metadata_text
    with Image.open(io.BytesIO(found.data)) as clean:
        assert clean.n_frames == 3
        assert "comment" not in clean.info


def test_vcard_text_goes_to_the_policy():
    found = sniff.inspect(VCARD, target_bytes=1)
    assert found.content_type == "text/vcard" and found.data == VCARD
    assert "Bright Smile Front Desk" in found.metadata_text


def test_binary_vcard_is_refused():
    with pytest.raises(sniff.Unsupported):
        sniff.inspect(b"BEGIN:VCARD\r\n\xff\xfe\x00END:VCARD", target_bytes=1)


def test_thumbnail_is_a_small_jpeg():
    thumb = sniff.thumbnail(photo((1200, 900)))
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.format == "JPEG" and max(im.size) <= sniff.THUMB_SIDE


def _gif(side: int, frames: int) -> bytes:
    # alternating colours: Pillow merges identical frames when it saves
    images = [Image.new("P", (side, side), i % 2) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=50)
    return out.getvalue()


def test_an_animated_gif_whose_frames_add_up_to_a_bomb_is_refused_before_decoding():
    # second review: the pixel limit was Pillow's, per frame — a small file of many large
    # frames was decoded whole into memory (every frame copied, then each resized)
    side = 1000
    frames = sniff.MAX_PIXELS // (side * side) + 1
    data = _gif(side, frames)
    assert len(data) < 1_000_000  # a small upload
    with pytest.raises(sniff.Unsupported, match="too many pixels"):
        sniff.inspect(data, target_bytes=500_000)


def test_a_still_picture_over_the_limit_is_refused_not_only_warned_about():
    # Pillow refuses only above twice MAX_IMAGE_PIXELS; between the two it warns and decodes
    side = int(sniff.MAX_PIXELS**0.5) + 1
    out = io.BytesIO()
    Image.new("L", (side, side), 0).save(out, "PNG")
    with pytest.raises(sniff.Unsupported, match="too many pixels"):
        sniff.inspect(out.getvalue(), target_bytes=500_000)
