"""Geo API: units registry (``api_units``) and the locator (``api_locate``)."""

from ninja import Router

from tinhso.geo.api_locate import router as locate_router
from tinhso.geo.api_units import router as units_router

router = Router()
router.add_router("", units_router)
router.add_router("", locate_router)
