"""Wait for an image to be drawn, instead of sampling it once.

Photos are ``loading="lazy"``: they load only once scrolled near the viewport, and then over the
network like any other request. A single ``img.complete`` probe right after navigation races that
load on a busy machine (CI runs two suites side by side), so the helpers scroll the image into view
and wait, up to a timeout, for it to have decoded pixels. A broken or missing image still fails.
"""

from __future__ import annotations

DRAWN = "img => img.complete && img.naturalWidth > 0"


def image_drawn(page, selector: str, timeout_ms: int = 15_000) -> bool:
    """True once the first element matching ``selector`` is an image with pixels; False on timeout."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    img = page.locator(selector).first
    img.scroll_into_view_if_needed()
    try:
        page.wait_for_function(f"el => ({DRAWN})(el)", arg=img.element_handle(), timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True
