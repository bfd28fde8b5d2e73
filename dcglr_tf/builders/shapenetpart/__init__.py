"""shapenetpart: ShapeNetPart part segmentation (16 categories, 50 parts) from the normal-annotated release."""
