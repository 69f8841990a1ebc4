"""Inference tables: analytics models, versions, jobs (to come)."""
