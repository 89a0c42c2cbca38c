"""Health of what a reply depends on: Postgres, Redis, and every worker's local engine."""

from __future__ import annotations

import redis
from django.db import connection

from apps.config.redis_client import shared_redis
from apps.inference import engine_stats


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database: {exc.__class__.__name__}"
    return None


def _redis() -> str | None:
    try:
        shared_redis().ping()
    except redis.RedisError as exc:
        return f"redis: {exc.__class__.__name__}"
    return None


def health_report() -> dict:
    """``ok`` is False when a dependency fails or any worker's engine reports itself down."""
    redis_problem = _redis()
    problems = [p for p in (_database(), redis_problem) if p]
    engines = {} if redis_problem else engine_stats.all_engines()
    down = sorted(name for name, figures in engines.items() if not figures.get("healthy", 1))
    problems += [f"local engine down on {name}" for name in down]
    return {
        "ok": not problems,
        "problems": problems,
        "engines": {name: bool(figures.get("healthy", 1)) for name, figures in engines.items()},
        # Which local models each engine holds in memory now, and their weights' bytes.
        "models": {} if redis_problem else engine_stats.loaded_models(),
    }
