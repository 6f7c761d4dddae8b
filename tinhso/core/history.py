"""Append-only history: the base for every audit/history table in tinhso.

A history row is written once and never changed or deleted, through the ORM or the admin.
(Queryset ``update()``/``delete()`` bypass ``save``/``delete``; services never call them on
history tables, and the admin registers history read-only.)
"""

from __future__ import annotations

from django.db import models


class AppendOnlyError(Exception):
    pass


class AppendOnlyModel(models.Model):
    """Abstract model whose rows can be inserted but never updated or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} is append-only: rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} is append-only: rows cannot be deleted")
