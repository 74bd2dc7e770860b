"""One blueprint per page concept: search, reports, similar passages, export."""
