"""Files in: sources, archives, sniffing, checksums, EXIF/GPS, thumbnails, sidecars."""
