"""Evaluation protocols on features and predictions, in NumPy: weighted kNN, the linear-SVM protocol, metrics,
retrieval, few-shot draws, spectra, t-SNE and plots. `dcglr_tf.evaluation.tasks` turns them into the tasks of
`evaluate.py` (encoders, datasets, tables, JSON results)."""
