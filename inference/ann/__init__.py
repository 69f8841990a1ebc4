"""An approximate-nearest-neighbour index of image embeddings (faiss inverted file), one
per embedder version: built and kept up to date by workers, shared through the
default storage, loaded by web processes when its generation changes. The index
only proposes candidates: visibility and the final ranking are decided from the
database (inference.selectors), so it can never reveal a hidden image."""
