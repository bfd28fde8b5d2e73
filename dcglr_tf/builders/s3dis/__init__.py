"""s3dis: S3DIS semantic segmentation blocks from indoor3d_sem_seg_hdf5_data."""
