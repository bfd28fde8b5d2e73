"""modelnet40_h5: ModelNet40 from the PointNet HDF5 release (modelnet40_ply_hdf5_2048)."""
