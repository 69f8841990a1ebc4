"""Metadata out: one writer module per format, and `registry`, where each format the
portal offers (downloads, Signposting, the landing page, OAI-PMH) is declared once."""
