from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class FaqEntry(models.Model):
    """One question and its answer, in one language. ``external_id`` is the catalog's "id"."""

    class Language(models.TextChoices):
        ZH = "zh", "Chinese"
        EN = "en", "English"

    external_id = models.CharField(
        "catalog id", max_length=100, unique=True, help_text="The id used in import files."
    )
    question = models.TextField()
    answer = models.TextField()
    language = models.CharField(max_length=2, choices=Language.choices)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    keywords = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="The shop's own words for this question (synonyms, product names, slang), "
        "in either language; retrieval matches them like the question.",
    )
    enabled = models.BooleanField(default=True, db_index=True)
    hit_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The dense vector of embedding_text(entry) (apps.faq.vectors): little-endian float32
    # bytes, read back with one numpy.frombuffer per row. Which model made it, and a hash of
    # the text it was made from, tell a stale vector from a current one.
    embedding = models.BinaryField(null=True)
    embedding_model = models.CharField(max_length=200, blank=True, editable=False)
    embedding_hash = models.CharField(max_length=64, blank=True, editable=False)
    embedded_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["external_id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.external_id
