"""Background work of the one-process installation: the scheduler that starts due syncs and sends the weekly digests.

It sits above the domains whose work it starts (sync, the cockpit's digests), so that neither imports the other.
"""
