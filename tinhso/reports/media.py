"""Photos: check the real type by content, strip every kind of metadata by re-encoding, store.

The file name and the declared content type are ignored: Pillow opens the bytes (only its JPEG,
PNG and WebP decoders are ever tried) and only those three formats are accepted — a phone's JPEG
with multi-picture data (Pillow's "MPO": Ultra HDR, multi-frame shots) is a JPEG, stored as its
main picture (the other pictures are dropped with the metadata). The stored file
is a fresh encoding of the pixels only: a new image is built from the decoded pixel data, so no
EXIF (GPS, device, maker notes), XMP, JPEG comment (COM), ICC profile, PNG text chunks
(tEXt/zTXt/iTXt) or any other metadata can survive. The EXIF orientation is applied to the pixels
first so the photo still shows the right way up, and an embedded ICC profile is applied
(converted to sRGB with Pillow's ImageCms) before the profile is dropped, so colours stay right.

Limits: ≤ 10 MB per file, ≤ 50 megapixels per image (checked from the header, before decoding;
Pillow's own decompression-bomb guard is reported the same way) and ≤ 60 megapixels summed over
the photos of one submission, each a :class:`UserError` naming the photo.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from tinhso.core.errors import UserError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 5
MAX_PIXELS = 50_000_000  # per image (a 50-megapixel photo is already huge)
MAX_TOTAL_PIXELS = 60_000_000  # summed over the photos of one submission
ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# A JPEG with multi-picture data (CIPA MPF: phones' Ultra HDR gain maps, multi-frame camera shots) is
# opened by Pillow's JPEG decoder as "MPO": it is a JPEG, stored as its first (main) picture.
ALIASES = {"MPO": "JPEG"}
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    mime: str
    extension: str
    width: int
    height: int
    sha256: str


def read_upload(upload, *, field: str = "photos") -> bytes:
    """Bytes of an uploaded file (Django ``UploadedFile``, file object or ``bytes``), ≤ 10 MB."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise _too_big(upload, field)
    data = upload if isinstance(upload, (bytes, bytearray)) else upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_big(upload, field)
    return bytes(data)


def _too_big(upload, field):
    name = getattr(upload, "name", "") or "ảnh"
    return UserError("photo_too_large", f"Ảnh {name} lớn hơn 10 MB.", f"Photo {name} is larger than 10 MB.",
                     field=field)


def _too_many_pixels(name: str, field: str) -> UserError:
    label = f" {name}" if name else ""
    return UserError("photo_too_many_pixels",
                     f"Ảnh{label} có quá nhiều điểm ảnh (tối đa {MAX_PIXELS // 1_000_000} megapixel mỗi ảnh).",
                     f"Photo{label} has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels per photo).",
                     field=field)


def _open(data: bytes) -> Image.Image:
    """Pillow's image (header read only), its decompression-bomb warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data), formats=list(ACCEPTED))


def probe(data: bytes, *, name: str = "", field: str = "photos") -> tuple[str, int, int]:
    """(format, width, height) from the header, refusing other types and too many pixels."""
    try:
        with _open(data) as image:
            fmt, width, height = ALIASES.get(image.format, image.format), image.width, image.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        fmt, width, height = None, 0, 0
    if fmt not in ACCEPTED:
        raise UserError("photo_type", f"Tệp {name or 'ảnh'} không phải ảnh JPEG, PNG hoặc WebP.",
                        f"File {name or 'photo'} is not a JPEG, PNG or WebP image.", field=field)
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(name, field)
    return fmt, width, height


def _to_srgb(image: Image.Image) -> Image.Image:
    """The pixels converted from the embedded ICC profile to sRGB (unchanged without a valid one)."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    if image.mode in ("P", "PA"):  # a palette (with its transparency, if any) to plain pixels first
        image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    base = image.convert({"LA": "L", "RGBA": "RGB"}.get(image.mode, image.mode))
    try:
        converted = ImageCms.profileToProfile(base, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB,
                                              outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unusable profile: keep the pixels as they are (it is dropped below anyway)
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _pixels_only(image: Image.Image, fmt: str) -> Image.Image:
    """A new image holding only the pixels, in a mode the output format stores (``info`` empty)."""
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if fmt == "JPEG":
        mode = "RGB" if image.mode not in ("L",) else "L"
    elif fmt == "PNG":
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else ("RGBA" if has_alpha else "RGB")
    else:
        mode = "RGBA" if has_alpha else "RGB"
    pixels = image.convert(mode)
    return Image.frombytes(mode, pixels.size, pixels.tobytes())


def clean_photo(data: bytes, *, name: str = "", field: str = "photos") -> CleanPhoto:
    """Validate by content and re-encode the pixels only, without any metadata."""
    fmt, _w, _h = probe(data, name=name, field=field)
    try:
        with _open(data) as image:
            image.seek(0)  # the main picture of a multi-picture JPEG (the others are dropped)
            image.load()
            upright = ImageOps.exif_transpose(image)
            fresh = _pixels_only(_to_srgb(upright), fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name, field) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise UserError("photo_unreadable", f"Không đọc được ảnh {name or 'ảnh'}.",
                        f"Photo {name} could not be read.", field=field) from exc
    mime, ext = ACCEPTED[fmt]
    out = io.BytesIO()
    if fmt == "JPEG":
        fresh.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        fresh.save(out, "PNG", optimize=True)
    else:
        fresh.save(out, "WEBP", quality=85)
    content = out.getvalue()
    width, height = fresh.size
    return CleanPhoto(content, mime, ext, width, height, hashlib.sha256(content).hexdigest())


def save_photo(report, clean: CleanPhoto, kind: str):
    from tinhso.reports.models import Photo

    photo = Photo(report=report, kind=kind, mime=clean.mime, size=len(clean.content), width=clean.width,
                  height=clean.height, sha256=clean.sha256)
    # The file is named by the photo's unguessable token: no tracking code, kind or hash in the name.
    photo.file.save(f"{photo.token}.{clean.extension}", ContentFile(clean.content), save=False)
    photo.save()
    return photo


def clean_uploads(uploads, *, field: str = "photos", max_count: int = MAX_PHOTOS) -> list[CleanPhoto]:
    uploads = list(uploads or [])
    if len(uploads) > max_count:
        raise UserError("too_many_photos", f"Tối đa {max_count} ảnh.", f"At most {max_count} photos.",
                        field=field)
    items = [(read_upload(u, field=field), getattr(u, "name", "")) for u in uploads]
    total = sum(w * h for _fmt, w, h in (probe(data, name=name, field=field) for data, name in items))
    if total > MAX_TOTAL_PIXELS:
        limit = MAX_TOTAL_PIXELS // 1_000_000
        raise UserError("photos_too_many_pixels",
                        f"Tổng số điểm ảnh của các ảnh gửi kèm vượt quá {limit} megapixel; hãy gửi ít ảnh hơn "
                        "hoặc ảnh nhỏ hơn.",
                        f"The photos together exceed {limit} megapixels; send fewer or smaller photos.",
                        field=field)
    return [clean_photo(data, name=name, field=field) for data, name in items]
