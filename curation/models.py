"""Curation tables: label sets, annotations, reviews, deposits (to come)."""
