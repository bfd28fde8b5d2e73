"""shapenet: the STRL-processed ShapeNet pre-training set (shapenet57448xyzonly.npz)."""
