"""Evaluation protocols, one module per task."""
