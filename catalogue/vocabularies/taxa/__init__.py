"""Taxa from the World Register of Marine Species (WoRMS): its REST client, the
bundled snapshot, names that are no taxon, and the reads search uses (lookup)."""
