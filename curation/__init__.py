"""Label sets, annotations, review workflow, validation and publishing."""
