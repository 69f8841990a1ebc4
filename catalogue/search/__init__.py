"""Search: one query model, several backends (the database, OpenSearch, Elasticsearch)."""
