"""t-SNE of features: a 2-D map coloured by class, with a legend of class names (the `tsne` task,
`evaluation.tasks.tsne`, extracts the features)."""

import numpy as np
from sklearn.manifold import TSNE

from dcglr_tf.evaluation.plots import class_colours, plt, save


def tsne_embedding(features, *, seed=0, perplexity=30.0):
    """(M, D) -> (M, 2) t-SNE coordinates (features standardised first; perplexity capped for small M)."""
    features = np.asarray(features, dtype=np.float64)
    features = (features - features.mean(0)) / (features.std(0) + 1e-8)
    perplexity = float(min(perplexity, max((len(features) - 1) / 3.0, 1.0)))
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(features)


def plot_tsne(coords, labels, class_names, path, title):
    labels = np.asarray(labels)
    names = list(class_names) or [str(c) for c in range(int(labels.max()) + 1)]
    colours = class_colours(len(names))
    figure, axis = plt.subplots(figsize=(8.5, 6.5))
    for c, name in enumerate(names):
        mask = labels == c
        if mask.any():
            axis.scatter(coords[mask, 0], coords[mask, 1], s=10, color=colours[c], label=f"{name} ({mask.sum()})")
    axis.set_title(title, fontsize=10)
    axis.set_xlabel("t-SNE dimension 1")
    axis.set_ylabel("t-SNE dimension 2")
    axis.legend(title="class (clouds)", loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, markerscale=1.5)
    return save(figure, path)
