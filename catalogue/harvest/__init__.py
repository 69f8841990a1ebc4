"""Records in from other catalogues: OAI-PMH providers (Zenodo, InvenioRDM, other
AquaCats) and InvenioRDM's REST search, becoming external, read-only image sets.

- models: sources, runs, and (in catalogue/models.py) what marks an ImageSet external
- oai: the OAI-PMH client (oaipmh-scythe), page by page, with retries and restarts
- invenio: the InvenioRDM REST search, and its records (dwc:/ac: fields, files) as fields
- mapping: an OAI-PMH record (DataCite XML, or Dublin Core) as ImageSet fields
- services: every write (sources, external sets); runs: one harvest of a source
- tasks: the scheduled harvest of every due source (catalogue.harvest_due_sources)
- selectors, views, urls, admin: the curators' pages and the admin
"""
