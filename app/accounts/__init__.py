"""People: sign-up, sessions, passwords, profiles and API tokens."""
