from __future__ import annotations

from django.db import models


class CannedResponse(models.Model):
    """A ready-made reply an agent inserts into the reply box with a click."""

    title = models.CharField(max_length=80)
    text = models.TextField()
    # Empty means "any language"; otherwise shown first for conversations in this language.
    language = models.CharField(max_length=8, blank=True, default="")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
