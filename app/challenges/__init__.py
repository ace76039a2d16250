"""Programs, challenges, rounds and registration (issue #3)."""
