"""Retention benchmark: bytes per document on disk, and what `whirlpool prune` keeps (issue 13, 11)."""
