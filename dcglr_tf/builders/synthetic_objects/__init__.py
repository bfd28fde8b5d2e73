"""synthetic_objects: procedural man-made objects assembled from parts (embedded, no download)."""
