"""Signals other apps listen to (apps above ``reports`` may not be imported from here).

``reports_bulk_created(sender, reports)``: sent inside the transaction of a ``bulk_create`` of
:class:`~tinhso.reports.models.Report` rows (which sends no ``post_save``), with the saved reports,
so that what is kept per report elsewhere (the IOC's pre-aggregates) follows bulk loads too.
"""

from django.dispatch import Signal

reports_bulk_created = Signal()
