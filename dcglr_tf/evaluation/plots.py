"""Shared matplotlib set-up for the picture tasks (headless Agg backend)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def class_colours(num_classes):
    """Distinct colours: tab10 for up to 10 classes; beyond, tab20's dark shades first, then its light ones."""
    if num_classes <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(num_classes)]
    cmap = plt.get_cmap("tab20")
    order = list(range(0, 20, 2)) + list(range(1, 20, 2))
    return [cmap(order[i % 20]) for i in range(num_classes)]


def save(figure, path):
    import os

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
