"""Teams and submissions (issue #4)."""
