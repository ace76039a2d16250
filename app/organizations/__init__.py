"""Organizations, their members and their verification."""
