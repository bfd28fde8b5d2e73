"""Plumbing with no knowledge of point clouds: atomic writes, the run-directory lock, progress lines and the fault
points the reliability tests kill a run at."""
