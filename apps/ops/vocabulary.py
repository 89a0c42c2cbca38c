"""The route and mode names, defined once for every app.

They live on the ops floor because ops (flags, kill switches), inference (router, breakers,
backends) and conversations (``Message.route``) all speak them, and the ops floor is the
lowest of the three. Members are ``str``: ``Route.LOCAL == "local"``, so stored values,
Redis keys and JSON payloads stay plain strings.

Labels are the ones the migrations already hold; changing one means a migration.
"""

from __future__ import annotations

from django.db import models


class Route(models.TextChoices):
    """Which part of the desk produced a reply (``Message.route``)."""

    LOCAL = "local"
    CLOUD = "cloud"
    FAQ = "faq"
    CACHE = "cache"
    CANNED = "canned"
    AGENT = "agent"  # a staff member wrote it; never chosen by the router


class Mode(models.TextChoices):
    """The routing mode ops pick on /ops/ (``RoutingFlags.mode``)."""

    AUTO = "auto", "Auto (rules, then fallback)"
    LOCAL_ONLY = "local_only", "Local model only"
    CLOUD_ONLY = "cloud_only", "Cloud model only"
    FAQ_ONLY = "faq_only", "FAQ only"


# The routes that run a language model: ops choose the default one, breakers guard them.
MODEL_ROUTES: tuple[Route, ...] = (Route.LOCAL, Route.CLOUD)
# The routes ops can switch off (``RoutingFlags.kill_<route>``).
KILLABLE_ROUTES: tuple[Route, ...] = (Route.LOCAL, Route.CLOUD, Route.FAQ)
