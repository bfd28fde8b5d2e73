"""synthetic_rooms: the embedded segmentation default (procedural rooms in S3DIS-style blocks)."""
