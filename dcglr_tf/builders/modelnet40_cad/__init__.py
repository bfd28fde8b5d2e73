"""modelnet40_cad: ModelNet40 from the CAD-derived releases (normal_resampled txt files or raw OFF meshes)."""
