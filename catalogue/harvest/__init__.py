"""Records in from other catalogues: OAI-PMH providers (Zenodo, InvenioRDM, other
AquaCats) and InvenioRDM's REST search, becoming external, read-only image sets.

- models: sources, runs, and (in catalogue/models.py) what marks an ImageSet external
- oai: the OAI-PMH client (oaipmh-scythe), page by page, with retries and restarts
- invenio: the InvenioRDM REST search, and its records (dwc:/ac: fields, files) as fields
- mapping: an OAI-PMH record (DataCite XML, or Dublin Core) as ImageSet fields
- services: every write (sources, external sets); runs: one harvest of a source
- aquacat, aquacat_mapping, aquacat_run, external_images: another AquaCat, image by image
- tokens: the token sent to another AquaCat (from the environment, never stored)
- files: one external image's file fetched with limits, for a curator's copy
  (catalogue/services/external_copies.py; api: its endpoints)
- tasks: the scheduled harvest of every due source (catalogue.harvest_due_sources),
  and the copy of an external set's files (catalogue.copy_external_files)
- selectors, views, urls, admin: the curators' pages (with the copy buttons) and the admin
"""
