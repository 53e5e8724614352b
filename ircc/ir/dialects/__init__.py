"""ircc's own dialects, one per file; upstream dialects are used as they are."""
