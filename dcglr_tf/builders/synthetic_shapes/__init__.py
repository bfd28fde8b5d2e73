"""synthetic_shapes: the embedded default dataset (procedural, no download)."""
