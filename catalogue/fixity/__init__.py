"""Fixity: stored originals and thumbnails re-hashed on a rota, each file's last check kept."""
