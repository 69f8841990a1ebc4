"""Image sets, images and vocabularies: ingestion, search, exports, OAI-PMH."""
