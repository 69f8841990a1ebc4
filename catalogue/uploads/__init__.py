"""Resumable uploads of large archives: chunks to local staging, or presigned
multipart parts straight to S3; once whole and verified, ingested by a worker."""
