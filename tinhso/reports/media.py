"""Photos: check the real type by content, strip EXIF (GPS, device) by re-encoding, store.

The file name and the declared content type are ignored: Pillow opens the bytes and only JPEG,
PNG and WebP images are accepted. The stored file is a fresh encoding of the pixels only (no
EXIF, XMP, ICC-embedded GPS or maker notes); the EXIF orientation is applied to the pixels first
so the photo still shows the right way up.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from tinhso.core.errors import UserError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 5
MAX_PIXELS = 50_000_000  # decompression-bomb guard (a 50-megapixel photo is already huge)
ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


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


def clean_photo(data: bytes, *, name: str = "", field: str = "photos") -> CleanPhoto:
    """Validate by content and re-encode without metadata."""
    label = name or "ảnh"
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        fmt = None
    if fmt not in ACCEPTED:
        raise UserError("photo_type", f"Tệp {label} không phải ảnh JPEG, PNG hoặc WebP.",
                        f"File {name or 'photo'} is not a JPEG, PNG or WebP image.", field=field)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UserError("photo_too_large", f"Ảnh {label} có quá nhiều điểm ảnh.",
                                f"Photo {name or ''} has too many pixels.", field=field)
            image = ImageOps.exif_transpose(image)
            mime, ext = ACCEPTED[fmt]
            out = io.BytesIO()
            if fmt == "JPEG":
                image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
            elif fmt == "PNG":
                keep = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else image.convert("RGBA")
                keep.save(out, "PNG", optimize=True)
            else:
                image.convert("RGBA" if "A" in image.getbands() else "RGB").save(out, "WEBP", quality=85)
            width, height = image.size
    except UserError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UserError("photo_unreadable", f"Không đọc được ảnh {label}.", f"Photo {name} could not be read.",
                        field=field) from exc
    content = out.getvalue()
    return CleanPhoto(content, mime, ext, width, height, hashlib.sha256(content).hexdigest())


def save_photo(report, clean: CleanPhoto, kind: str):
    from tinhso.reports.models import Photo

    photo = Photo(report=report, kind=kind, mime=clean.mime, size=len(clean.content), width=clean.width,
                  height=clean.height, sha256=clean.sha256)
    stem = f"{report.code}-{kind}-{clean.sha256[:10]}"
    photo.file.save(f"{stem}.{clean.extension}", ContentFile(clean.content), save=False)
    photo.save()
    return photo


def clean_uploads(uploads, *, field: str = "photos", max_count: int = MAX_PHOTOS) -> list[CleanPhoto]:
    uploads = list(uploads or [])
    if len(uploads) > max_count:
        raise UserError("too_many_photos", f"Tối đa {max_count} ảnh.", f"At most {max_count} photos.",
                        field=field)
    return [clean_photo(read_upload(u, field=field), name=getattr(u, "name", ""), field=field) for u in uploads]
