"""Signed outgoing webhooks of organizations: endpoints, the events they receive and the delivery log."""
