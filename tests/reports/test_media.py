"""Photo cleaning and serving: no metadata survives, pixel limits are user errors, photos are
served by unguessable tokens under the report's visibility rule."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.test import Client
from PIL import Image, ImageCms, PngImagePlugin

from tests.reports.conftest import actor, png_bytes
from tests.reports.factories import make_report
from tinhso.core.errors import UserError
from tinhso.reports import handling, intake, media, privacy
from tinhso.reports.models import State

SECRET = b"SECRET-21.0285N-105.8542E"
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
# Pillow ``info`` keys that carry metadata (anything else it reports is format bookkeeping).
METADATA_KEYS = {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "adobe",
                 "Comment", "Description", "Author", "Software", "Title"}
# The only containers a cleaned file may hold: pixels and what decoding them needs.
PIXEL_CONTAINERS = {
    "JPEG": {"SOI", "APP0", "DQT", "SOF0", "SOF2", "DHT", "DRI", "SOS"},  # APP0 = JFIF header
    "PNG": {"IHDR", "PLTE", "tRNS", "IDAT", "IEND"},
    "WEBP": {"VP8 ", "VP8L", "VP8X", "ALPH"},
}
JPEG_MARKERS = {0xD8: "SOI", 0xE0: "APP0", 0xDB: "DQT", 0xC0: "SOF0", 0xC2: "SOF2", 0xC4: "DHT",
                0xDD: "DRI", 0xDA: "SOS"}


def containers(data: bytes) -> tuple[str, list[str]]:
    """(format, the segments/chunks of the file in order), read from the raw bytes."""
    if data.startswith(b"\xff\xd8"):
        found, at = ["SOI"], 2
        while at < len(data):
            marker = data[at + 1]
            found.append(JPEG_MARKERS.get(marker, f"0x{marker:02X}"))
            if marker == 0xDA:  # entropy-coded data follows
                break
            at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
        return "JPEG", found
    if data.startswith(b"\x89PNG"):
        found, at = [], 8
        while at < len(data):
            length = struct.unpack(">I", data[at:at + 4])[0]
            found.append(data[at + 4:at + 8].decode("latin-1"))
            at += 12 + length
        return "PNG", found
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    found, at = [], 12
    while at < len(data):
        length = struct.unpack("<I", data[at + 4:at + 8])[0]
        found.append(data[at:at + 4].decode("latin-1"))
        at += 8 + length + (length & 1)
    return "WEBP", found


def picture(mode="RGB", size=(40, 30)):
    image = Image.new(mode, size)
    image.putdata([((x * 7) % 256, (y * 9) % 256, 90) if mode.startswith("RGB") else (x * 7) % 256
                   for y in range(size[1]) for x in range(size[0])])
    return image


def encode(image, fmt, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def exif() -> Image.Exif:
    tags = Image.Exif()
    tags[0x010E] = SECRET.decode()  # ImageDescription
    tags[0x8825] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 15.0)}  # GPS
    return tags


def jpeg_segment(data: bytes, marker: bytes) -> bytes:
    """A JPEG with a raw segment inserted right after SOI."""
    plain = encode(picture(), "JPEG")
    return plain[:2] + marker + struct.pack(">H", len(SECRET) + 16) + b"Photoshop 3.0\x00" + SECRET + plain[2:]


def png_text() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET.decode())  # tEXt
    info.add_text("Description", SECRET.decode(), zip=True)  # zTXt
    info.add_itxt("Author", SECRET.decode(), lang="vi")  # iTXt
    info.add(b"prVt", SECRET)  # a private ancillary chunk
    return info


CASES = {
    "jpeg comment (COM)": lambda: encode(picture(), "JPEG", comment=SECRET),
    "jpeg ICC profile": lambda: encode(picture(), "JPEG", icc_profile=SRGB + SECRET),
    "jpeg XMP": lambda: encode(picture(), "JPEG", xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>"),
    "jpeg EXIF": lambda: encode(picture(), "JPEG", exif=exif()),
    "jpeg APP13 (IPTC)": lambda: jpeg_segment(SECRET, b"\xff\xed"),
    "jpeg CMYK + comment": lambda: encode(picture().convert("CMYK"), "JPEG", comment=SECRET),
    "jpeg grey + comment": lambda: encode(picture("L"), "JPEG", comment=SECRET),
    "png ICC profile": lambda: encode(picture(), "PNG", icc_profile=SRGB + SECRET),
    "png text chunks": lambda: encode(picture(), "PNG", pnginfo=png_text()),
    "png EXIF": lambda: encode(picture(), "PNG", exif=exif()),
    "png palette + ICC": lambda: encode(picture().convert("P"), "PNG", icc_profile=SRGB + SECRET),
    "png palette + transparency + ICC": lambda: encode(picture().convert("P"), "PNG", transparency=0,
                                                       icc_profile=SRGB + SECRET),
    "png grey + alpha + text": lambda: encode(picture("L").convert("LA"), "PNG", pnginfo=png_text()),
    "webp ICC + EXIF + XMP": lambda: encode(picture(), "WEBP", icc_profile=SRGB + SECRET, exif=exif(),
                                            xmp=b"<x>" + SECRET + b"</x>"),
    "webp alpha + EXIF": lambda: encode(picture("RGBA"), "WEBP", exif=exif(), lossless=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_metadata_survives_cleaning(case):
    original = CASES[case]()
    fmt, before = containers(original)
    assert set(before) - PIXEL_CONTAINERS[fmt]  # the test image does carry metadata
    clean = media.clean_photo(original, name=case)
    assert containers(clean.content)[0] == fmt
    assert set(containers(clean.content)[1]) <= PIXEL_CONTAINERS[fmt], containers(clean.content)
    assert SECRET not in clean.content
    with Image.open(io.BytesIO(clean.content)) as out:
        assert METADATA_KEYS.isdisjoint(out.info), sorted(out.info)
        assert out.getexif() == {}
        assert not [k for k in out.info if isinstance(out.info[k], (str, bytes)) and SECRET.decode() in str(out.info[k])]
        assert out.size == (40, 30)


def test_transparency_survives_the_icc_conversion():
    image = Image.new("RGBA", (8, 8), (200, 40, 120, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))
    for source in (image, image.convert("P")):
        options = {"transparency": source.getpixel((0, 0))} if source.mode == "P" else {}
        clean = media.clean_photo(encode(source, "PNG", icc_profile=SRGB, **options))
        with Image.open(io.BytesIO(clean.content)) as out:
            rgba = out.convert("RGBA")
            assert rgba.getpixel((0, 0))[3] == 0 and rgba.getpixel((4, 4))[3] == 255


def test_an_srgb_or_unusable_icc_profile_keeps_the_colours():
    """Pixels tagged sRGB keep their colours; an unusable profile is dropped without an error."""
    image = Image.new("RGB", (8, 8), (200, 40, 120))
    for data in (encode(image, "PNG", icc_profile=SRGB), encode(image, "PNG", icc_profile=b"not a profile")):
        clean = media.clean_photo(data)
        with Image.open(io.BytesIO(clean.content)) as out:
            assert "icc_profile" not in out.info
            assert all(abs(a - b) <= 2 for a, b in zip(out.convert("RGB").getpixel((3, 3)), (200, 40, 120)))


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)


def swapped_profile() -> bytes:
    """A small ICC v2 RGB display profile whose red and blue primaries are swapped: a pixel stored
    as (255, 0, 0) under it *is* blue. Built by hand (header, tag table, tags)."""
    text = b"red-blue swapped RGB\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)  # D50
    tags = [(b"desc", desc), (b"wtpt", _xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", _xyz(*blue)), (b"gXYZ", _xyz(*green)),
            (b"bXYZ", _xyz(*red)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249))
    return header + b"\0" * (128 - len(header)) + struct.pack(">I", len(tags)) + table + data


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_icc_profile_is_converted_to_srgb_before_it_is_dropped(fmt):
    tagged = encode(Image.new("RGB", (16, 16), (255, 0, 0)), fmt, icc_profile=swapped_profile(),
                    **({"lossless": True} if fmt == "WEBP" else {}))
    clean = media.clean_photo(tagged)
    with Image.open(io.BytesIO(clean.content)) as out:
        assert "icc_profile" not in out.info
        red, green, blue = out.convert("RGB").getpixel((8, 8))
    assert blue > 200 and red < 60 and green < 60  # shown as the blue it is, not as red


def huge_png(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims ``width × height`` pixels (a decompression bomb)."""
    data = bytearray(png_bytes())
    ihdr = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


@pytest.mark.parametrize("size", [(20_000, 20_000), (10_000, 10_000), (8_000, 7_000)])
def test_too_many_pixels_in_one_photo_is_a_user_error(size):
    with pytest.raises(UserError) as caught:
        media.clean_uploads([huge_png(*size)])
    assert caught.value.code == "photo_too_many_pixels" and caught.value.field == "photos"
    assert "megapixel" in caught.value.message_en and "megapixel" in caught.value.message_vi


def test_too_many_pixels_over_a_submission_is_a_user_error():
    # Each under the 50-megapixel cap, together over the 60-megapixel one: refused before decoding.
    with pytest.raises(UserError) as caught:
        media.clean_uploads([huge_png(6_000, 5_000), huge_png(6_000, 5_000), png_bytes()])
    assert caught.value.code == "photos_too_many_pixels"
    assert "60" in caught.value.message_en


def test_a_decompression_bomb_through_the_api_is_a_400(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post("/api/v1/reports/submit", {
        "category": "traffic", "description": "Bom ảnh", "lat": str(world.phan_thiet.lat),
        "lon": str(world.phan_thiet.lon),
        "photos": [SimpleUploadedFile("bomb.png", huge_png(30_000, 30_000), content_type="image/png")]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "photo_too_many_pixels"


# ---------------------------------------------------------------------------------------------
# Serving


def resolved(world, **fields):
    report = make_report(world, State.IN_PROGRESS, unit=world.pt, **fields)
    handling.resolve(report, actor(world.users["h_pt"]), result_text="Đã vá ổ gà", photos=[png_bytes()])
    return report


def test_result_photos_of_a_non_public_report_are_not_reachable_by_sequential_id(world):
    report = resolved(world, public=False)
    photo = report.photos.get()
    anon = Client()
    assert anon.get(f"/api/v1/reports/photos/{photo.pk}").status_code == 404
    for pk in range(1, photo.pk + 3):  # walking the ids finds nothing
        assert anon.get(f"/api/v1/reports/photos/{pk}").status_code == 404
    # Without the citizen's secret a non-public report shows only its state: no photo, not even by token.
    assert privacy.public_view(report)["photos"] == []
    assert anon.get(f"/api/v1/reports/photos/{photo.token}").status_code == 404
    assert photo.token not in anon.get(f"/phan-anh/{report.code}").content.decode()
    assert anon.get(f"/phan-anh/{report.code}/anh/{photo.pk}").status_code == 404
    # A published report's result photo is reachable by its token, never by its id.
    published = resolved(world)
    shown = published.photos.get()
    [listed] = privacy.public_view(published)["photos"]
    assert listed["url"] == f"/api/v1/reports/photos/{shown.token}"
    assert anon.get(listed["url"]).status_code == 200
    assert anon.get(f"/api/v1/reports/photos/{shown.pk}").status_code == 404


def test_photo_tokens_are_unguessable_and_files_do_not_name_the_report(world):
    report = resolved(world)
    other = resolved(world)
    tokens = [p.token for p in (*report.photos.all(), *other.photos.all())]
    assert len(set(tokens)) == 2 and all(len(t) >= 20 for t in tokens)
    for photo in report.photos.all():
        assert report.code not in photo.file.name and photo.token in photo.file.name
    # A token of another report does not open a photo under this report's page.
    assert Client().get(f"/phan-anh/{report.code}/anh/{other.photos.get().token}").status_code == 404


def test_citizen_photos_follow_the_same_rule_on_every_route(world):
    from tinhso.reports import triage

    report = intake.submit_report(category="traffic", description="x", lat=world.phan_thiet.lat,
                                  lon=world.phan_thiet.lon, photos=[png_bytes()], public=False).report
    photo = report.photos.get()
    anon = Client()
    routes = [f"/api/v1/reports/photos/{photo.token}", f"/phan-anh/{report.code}/anh/{photo.token}"]
    assert [anon.get(url).status_code for url in routes] == [404, 404]
    triage.verify(report, actor(world.users["op"]))
    report.refresh_from_db()
    # Not published by the citizen: still hidden from the public, on both routes.
    assert privacy.public_view(report)["photos"] == []
    assert [anon.get(url).status_code for url in routes] == [404, 404]


def test_the_admin_links_photos_through_the_checked_route(world):
    from django.contrib.auth import get_user_model

    report = resolved(world)
    photo = report.photos.get()
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("root", password="x"))
    page = admin.get(f"/admin/reports/report/{report.pk}/change/").content.decode()
    assert f'href="/api/v1/reports/photos/{photo.token}"' in page
    assert "/media/" not in page
    assert admin.get(f"/api/v1/reports/photos/{photo.token}").status_code == 200
    assert admin.get(f"/media/{photo.file.name}").status_code == 404  # media files are never served as such


def _mpo(exif: bool = True) -> bytes:
    """A phone-style multi-picture JPEG (Pillow writes MPF: "MPO"), with GPS and maker in its EXIF."""
    main = Image.new("RGB", (64, 48), (200, 40, 40))
    second = Image.new("RGB", (32, 24), (40, 40, 200))  # e.g. an Ultra HDR gain map
    info = Image.Exif()
    info[0x010F] = "PhoneMaker"
    info[0x8825] = {1: "N", 2: (11.0, 56.0, 0.0), 3: "E", 4: (108.0, 26.0, 0.0)}
    buffer = io.BytesIO()
    main.save(buffer, "MPO", save_all=True, append_images=[second], **({"exif": info} if exif else {}))
    return buffer.getvalue()


def test_a_multi_picture_jpeg_from_a_phone_is_accepted_as_its_main_picture():
    data = _mpo()
    assert Image.open(io.BytesIO(data)).format == "MPO"  # what Pillow calls it: not refused as "not a JPEG"
    assert media.probe(data, name="PXL_0001.jpg") == ("JPEG", 64, 48)
    clean = media.clean_photo(data, name="PXL_0001.jpg")
    assert (clean.mime, clean.extension, clean.width, clean.height) == ("image/jpeg", "jpg", 64, 48)
    stored = Image.open(io.BytesIO(clean.content))
    assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1
    assert stored.getpixel((10, 10))[0] > 150  # the main (red) picture, not the second one
    assert not stored.getexif() and b"PhoneMaker" not in clean.content and b"MPF" not in clean.content


def test_a_multi_picture_jpeg_through_the_form(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.reports.models import Report

    response = Client().post("/phan-anh", {"category": "traffic", "description": "Ổ gà", "public": "on",
                                           "lat": str(world.phan_thiet.lat), "lon": str(world.phan_thiet.lon),
                                           "photos": SimpleUploadedFile("PXL_0001.MP.jpg", _mpo(),
                                                                        content_type="image/jpeg")})
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = Report.objects.get().photos.get()
    with photo.file.open("rb") as fh:
        assert Image.open(fh).format == "JPEG"
