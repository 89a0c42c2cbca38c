"""What other apps may hear of, without this app knowing them (they stand above it)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit when staff post a reply to a customer, with ``message_id`` and the
# conversation's ``channel``: the API pushes it to the integrator's webhook.
agent_message_posted = Signal()
