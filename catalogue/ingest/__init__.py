"""Files in: from any source to image rows, one file at a time, nothing half made.

- sources: where files come from (uploads, folders, S3 prefixes)
- expansion: sources to local candidate files; archives opened, sidecars set aside
- archives: safe streaming reading of ZIP and TAR
- storing: one candidate into storage (sniff, sha256, decode, thumbnails)
- imaging: image formats, EXIF/GPS, thumbnails
- sidecars/: metadata files, one module per format (EcoTaxa TSV, iFDO, COCO, BIIGLE CSV)
- outcomes: what passes between the stages
- matching: which files a sidecar's entries name
- writing: rows written, each sidecar with its images in one transaction; refused
  sidecars leave theirs out; images the set holds corrected
- pipeline: the stages in order, the batch report; rows via catalogue.services
- errors: IngestError, naming the file refused and why
"""
