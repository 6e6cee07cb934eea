"""Delivering messages as jobs: each delivery is one job, tried again with a growing wait when the receiver fails."""

from __future__ import annotations

from datetime import timedelta

from deliveryops.connectors.hosts import HostPolicy
from deliveryops.db import unit_of_work
from deliveryops.jobs import JobContext, JobFailedError, job
from deliveryops.notify.delivery import post
from deliveryops.notify.models import WebhookDelivery

__all__ = ["RETRIES", "RETRY_DELAY", "deliver"]

RETRIES = 4  # five attempts in all
RETRY_DELAY = timedelta(seconds=30)  # waits of 30 s, 60 s, 90 s and 120 s between them


@job("notify.deliver", title="Post message {delivery_id}", lock="notify:{delivery_id}", retries=RETRIES, retry_delay=RETRY_DELAY)
def deliver(context: JobContext, *, delivery_id: int) -> str:
    """Post the delivery; a failure fails the attempt (tried again while it may help and attempts are left)."""
    with unit_of_work(context.session_factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status == "sent":
            return "Nothing to send: the delivery was removed or sent already."
        outcome = post(
            session,
            delivery,
            app_key=context.settings.resolved_secret_key(),
            policy=HostPolicy.from_settings(context.settings),
            final=context.attempt > RETRIES,
        )
    if not outcome.sent:
        raise JobFailedError(outcome.error or "The message was not delivered.", retry=outcome.retryable)
    return f"Delivered ({outcome.status})."
