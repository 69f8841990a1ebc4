"""Writes of curation: publishing (deposits). Each entry point takes the acting
user and enforces catalogue.access; label sets, annotations and review follow."""
