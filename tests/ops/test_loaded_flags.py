"""The flags a process loaded, for callers that must not wait on Postgres: served while
they are the live ones, and not once ops changed them."""

from __future__ import annotations

import pytest

from apps.config.redis_client import shared_redis
from apps.ops.flags import VERSION_KEY, current_flags, loaded_flags, version_of
from apps.ops.services import flags_update


def loaded_as_a_web_reads_them():
    """The version key read in a round trip of the caller's own, as the edge reads it."""
    return loaded_flags(version_of(shared_redis().get(VERSION_KEY)))


@pytest.mark.django_db
def test_loaded_flags_read_no_database_and_go_stale_with_a_change(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    assert loaded_as_a_web_reads_them() is None  # none loaded yet in this process
    with django_capture_on_commit_callbacks(execute=True):  # the version bump, on commit
        flags_update(user=None, changes={"admission_control": False})
    assert current_flags().admission_control is False
    with django_assert_num_queries(0):
        assert loaded_as_a_web_reads_them() == current_flags()

    shared_redis().incr(VERSION_KEY)  # another process changed them: only Redis says so
    with django_assert_num_queries(0):
        assert loaded_as_a_web_reads_them() is None
    current_flags()  # loaded afresh
    assert loaded_as_a_web_reads_them() == current_flags()
