"""The weekly digests: what changed per role, their pages, e-mails and the subscriptions."""
