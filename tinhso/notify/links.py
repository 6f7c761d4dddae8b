"""Links to this site inside an in-app inbox message, as site-relative paths.

A message is written once, with absolute links built from ``SITE_URL`` at that time (e-mails need
them). Shown in the inbox of the site itself, such a link must keep working when the site answers at
another address (another host or port than when the message was written): the origins that were this
site's — today's ``SITE_URL``, the address the page was asked at, and the message's own ``ref_url``
(every sender builds it from ``SITE_URL``) — are taken off, leaving ``/path``. Other links stay whole.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def origin(url: str) -> str:
    """``scheme://host[:port]`` of an absolute http(s) URL, else ""."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def relative(url: str, origins: set[str]) -> str:
    """``url`` as a site-relative path when it is on one of ``origins``."""
    found = origin(url)
    if found and found in origins:
        rest = url[len(found):]
        return rest if rest.startswith("/") else "/" + rest
    return url


def parts(text: str, origins: set[str]) -> list[tuple[str, str]]:
    """``text`` cut into (text, href) pieces: each link to one of ``origins`` becomes its path, shown and
    linked (``href`` set); everything else is plain text (``href`` "")."""
    found = sorted((o for o in origins if o), key=len, reverse=True)
    if not found or not text:
        return [(text or "", "")]
    pattern = re.compile("(?:" + "|".join(re.escape(o) for o in found) + r")(/[^\s<>\"']*)?(?![\w.:-])")
    pieces, last = [], 0
    for match in pattern.finditer(text):
        if match.start() > last:
            pieces.append((text[last:match.start()], ""))
        path = match.group(1) or "/"
        kept = path.rstrip(".,;:!?)") or "/"  # the sentence's punctuation is not the link's
        pieces.append((kept, kept))
        last = match.end() - (len(path) - len(kept) if match.group(1) else 0)
    if last < len(text):
        pieces.append((text[last:], ""))
    return pieces
