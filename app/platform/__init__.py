"""Plumbing: embedded services, outbox, audit, mail, i18n, security middleware."""
