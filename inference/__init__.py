"""Model registry, inference jobs, runners and enrichment of the catalogue."""
