"""``address_string`` without coordinates: find the commune it names, use its registry position.

Open311 lets a client send a typed address instead of ``lat``/``long``. The province has no
street-level address repository, so the finest place we can recognise is the commune (xã/
phường/đặc khu) named in the text, matched diacritic-insensitively on whole words, e.g.
"12 Trần Hưng Đạo, phường Phan Thiết, Lâm Đồng" → Phường Phan Thiết. The report is then placed
at that commune's registry position and the response's ``service_notice`` says so; the typed
address is kept as the report's address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from tinhso.core.errors import UserError
from tinhso.core.text import fold

_NON_WORD = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    lat: float
    lon: float


def _words(text: str) -> str:
    return " " + " ".join(_NON_WORD.sub(" ", fold(text)).split()) + " "


def _communes() -> list[tuple[str, Place]]:
    from tinhso.geo.models import Unit

    rows = (Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE,
                                lat__isnull=False, lon__isnull=False)
            .values_list("code", "name", "short_name", "lat", "lon"))
    keys = []
    for code, name, short_name, lat, lon in rows:
        place = Place(code, name, lat, lon)
        keys.append((_words(name), place))  # "phuong phan thiet"
        if short_name:
            keys.append((_words(short_name), place))  # "phan thiet"
    # Longest names first: "phuong phan thiet" before "phan thiet", "xa ham thuan bac" before "xa ham thuan".
    keys.sort(key=lambda item: -len(item[0]))
    return keys


def find_commune(address: str) -> Place:
    """The commune named in ``address``; 400 naming ``address_string`` when none (or several) match."""
    text = _words(address)
    matches: dict[str, Place] = {}
    best_length = 0
    for key, place in _communes():
        if len(key) < best_length:
            break
        if key in text:
            matches[place.code] = place
            best_length = len(key)
    if len(matches) == 1:
        return next(iter(matches.values()))
    if matches:
        names = ", ".join(sorted(p.name for p in matches.values()))
        raise UserError("ambiguous_address", f"Địa chỉ “{address}” khớp nhiều xã/phường ({names}); hãy gửi lat/long.",
                        f"The address {address!r} matches several communes ({names}); send lat/long.",
                        field="address_string")
    raise UserError("address_not_found",
                    f"Không tìm thấy xã/phường nào của tỉnh trong địa chỉ “{address}”; hãy gửi lat/long "
                    "hoặc ghi rõ tên xã/phường.",
                    f"No commune of the province is named in the address {address!r}; send lat/long "
                    "or include the commune's name.", field="address_string")
