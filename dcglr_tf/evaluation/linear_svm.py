"""A one-vs-rest linear SVM (squared hinge, L2) solved for all classes at once with matrix operations.

It minimises, for every class c with targets y_ic = +1 for class c and -1 otherwise, the objective of
scikit-learn's `LinearSVC(dual=False)` (liblinear's primal L2-regularised L2-loss SVM, intercept as an extra
feature of value 1 that is regularised like the weights):

    f_c(w) = 0.5 |w|^2 + C sum_i max(0, 1 - y_ic w.x_i)^2

by truncated Newton steps (conjugate gradient on the generalised Hessian I + 2C X_A^T X_A, X_A the rows inside
the margin, preconditioned by its diagonal) with an exact line search (Keerthi and DeCoste's finite Newton method
for the L2-SVM), for the K classes at once as the K columns of one (d+1, K) weight matrix, so every step is a few
dense (n, d) x (d, K) products that use all cores (liblinear solves one class after the other, single-threaded).
A class stops when its gradient norm falls below `tol` times its norm at w = 0. `warm_start` starts from a
previous solution (the C path of a cross-validation: each C starts from the last one's weights).
"""

import numpy as np

CG_FORCING = 0.3  # an inner CG solve stops when its residual is below this fraction of the gradient norm


def gram_eigenbasis(x):
    """Eigenvectors (d, d), as columns, of the Gram matrix x^T x of x (n, d): the solver's coordinates."""
    x = np.asarray(x, np.float32)
    return np.linalg.eigh(x.T @ x)[1].astype(np.float32)


def _conjugate_gradient(x, x_squared, active, gradient, C, max_iter):
    """Approximately solve (I + 2C X^T diag(active_c) X) s_c = -g_c for every column c. (d, K) -> (d, K).

    Preconditioner: each class's Hessian diagonal 1 + 2C sum_i active_ic x_ij^2 (x_squared = x^2), a good one
    when x is expressed in the eigenbasis of its Gram matrix (as `LinearSVM` does)."""
    scale = 1.0 / (1.0 + 2.0 * C * (x_squared.T @ active))  # (d, K)

    def precondition(r, cols):
        return scale[:, cols] * r

    step = np.zeros_like(gradient)
    residual = -gradient
    all_cols = np.arange(gradient.shape[1])
    z = precondition(residual, all_cols)
    direction = z.copy()
    rz = np.sum(residual * z, axis=0)
    target = CG_FORCING * np.linalg.norm(gradient, axis=0)
    running = np.ones(gradient.shape[1], dtype=bool)
    iterations = 0
    for iterations in range(max_iter):
        running &= np.linalg.norm(residual, axis=0) > target
        if not running.any():
            break
        cols = np.flatnonzero(running)
        d = direction[:, cols]
        hd = d + 2.0 * C * (x.T @ (active[:, cols] * (x @ d)))
        alpha = rz[cols] / np.maximum(np.sum(d * hd, axis=0), 1e-30)
        step[:, cols] += alpha * d
        residual[:, cols] -= alpha * hd
        z_cols = precondition(residual[:, cols], cols)
        rz_new = np.sum(residual[:, cols] * z_cols, axis=0)
        direction[:, cols] = z_cols + (rz_new / np.maximum(rz[cols], 1e-30)) * d
        rz[cols] = rz_new
    return step, iterations


def _exact_step(margin, change, w_dot_s, s_dot_s, C, iterations=30):
    """Per class, the step size t > 0 minimising the objective along the step: a convex piecewise quadratic
    phi(t) = 0.5 |w + t s|^2 + C sum_i max(0, margin_i - t change_i)^2, change = y * (x s). Safeguarded Newton on
    phi'(t) = 0 (phi' is increasing; the bracket [low, high] keeps every iterate inside)."""
    low = np.zeros(margin.shape[1], np.float32)
    high = np.full(margin.shape[1], np.inf, np.float32)
    size = np.ones(margin.shape[1], np.float32)
    for _ in range(iterations):
        inside = np.maximum(margin - size * change, 0.0)
        slope = w_dot_s + size * s_dot_s - 2.0 * C * np.sum(change * inside, axis=0)
        curvature = s_dot_s + 2.0 * C * np.sum(np.square(change) * (inside > 0), axis=0)
        low = np.where(slope < 0, size, low)
        high = np.where(slope > 0, size, high)
        newton = size - slope / np.maximum(curvature, 1e-30)
        middle = np.where(np.isinf(high), 2.0 * size, 0.5 * (low + high))
        new = np.where((newton > low) & (newton < high), newton, middle)
        if np.all(np.abs(new - size) <= 1e-4 * size):
            return new
        size = new
    return size


def fit_ovr_squared_hinge(x, targets, C, *, warm_start=None, tol=1e-4, max_newton=100, max_cg=200):
    """Weights (d, K) of K one-vs-rest squared-hinge SVMs.

    x: (n, d) float32 features (append a column of ones for an intercept); targets: (n, K) of +-1; C > 0.
    Returns (weights (d, K) float32, info {"newton_steps", "cg_steps"})."""
    x = np.asarray(x, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    n, dim = x.shape
    classes = targets.shape[1]
    weights = np.zeros((dim, classes), np.float32) if warm_start is None else np.array(warm_start, np.float32)
    x_squared = np.square(x)
    cg_steps = 0
    initial_norm = np.linalg.norm(2.0 * C * (x.T @ targets), axis=0)  # gradient norm at w = 0
    scores = x @ weights
    todo = np.arange(classes)
    steps = 0
    for steps in range(1, max_newton + 1):
        margin = 1.0 - targets[:, todo] * scores[:, todo]
        active = (margin > 0).astype(np.float32)
        w = weights[:, todo]
        gradient = w - 2.0 * C * (x.T @ (targets[:, todo] * margin * active))
        unfinished = np.linalg.norm(gradient, axis=0) > tol * initial_norm[todo]
        todo, margin, active, w, gradient = (todo[unfinished], margin[:, unfinished], active[:, unfinished],
                                             w[:, unfinished], gradient[:, unfinished])
        if not len(todo):
            break
        rows = np.flatnonzero(active.any(axis=1))  # rows inside no class's margin add nothing to the Hessian
        if len(rows) > 0.7 * n:
            step, iterations = _conjugate_gradient(x, x_squared, active, gradient, C, max_cg)
        else:
            step, iterations = _conjugate_gradient(x[rows], x_squared[rows], active[rows], gradient, C, max_cg)
        cg_steps += iterations
        step_scores = x @ step
        size = _exact_step(margin, targets[:, todo] * step_scores, np.sum(w * step, axis=0),
                           np.sum(step * step, axis=0), C)
        weights[:, todo] = w + size * step
        scores[:, todo] += size * step_scores
    return weights, {"newton_steps": steps, "cg_steps": cg_steps}


class LinearSVM:
    """Standardise (train mean / std, as `StandardScaler`) + one-vs-rest squared-hinge linear SVM with an intercept.

    fit(x (n, D), labels (n,)) learns one weight column per class present in `labels`; predict(x) -> labels (argmax
    of the decision values, as LinearSVC). `fit_path` fits several C in increasing order with warm starts.
    With fewer examples than dimensions (n < D + 1) the fit runs on the n-dimensional coordinates of the examples'
    span (thin SVD), which gives the same solution: the optimal weights lie in that span. Otherwise the fit runs in
    the eigenbasis of the Gram matrix (an orthogonal change of coordinates: the same solution), where each class's
    Hessian diagonal is a good preconditioner; `basis`: a precomputed `gram_eigenbasis` of similar (standardised)
    data (the whole train split for its CV folds), else computed per fit.
    """

    def __init__(self, C=1.0, tol=1e-4, basis=None):
        self.C = float(C)
        self.tol = float(tol)
        self.basis = basis

    def design(self, x, fit_scaler=False):
        """(n, D) -> standardised (n, D + 1) with a column of ones (the intercept); `fit_scaler` sets mean / std."""
        x = np.asarray(x, np.float32)
        if fit_scaler:
            self.mean_ = x.mean(axis=0)
            scale = x.std(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0).astype(np.float32)  # constant features stay 0, as sklearn
        return np.concatenate([(x - self.mean_) / self.scale_, np.ones((len(x), 1), np.float32)], axis=1)

    def fit_path(self, x, labels, c_values):
        """Yield (C, self) for each C of `c_values` (ascending), each fit warm-started from the previous one."""
        design = self.design(x, fit_scaler=True)
        self.classes_ = np.unique(labels)
        targets = np.where(np.asarray(labels)[:, None] == self.classes_[None, :], 1.0, -1.0).astype(np.float32)
        if len(design) < design.shape[1]:  # design = u s rotation: solve in the n coordinates u s
            u, s, rotation = np.linalg.svd(design, full_matrices=False)
            design, rotation = u * s, rotation.T
        else:  # the same problem in the eigenbasis of the Gram matrix, where the diagonal preconditions well
            rotation = self.basis if self.basis is not None else gram_eigenbasis(design)
            design = design @ rotation
        weights = None
        for c in sorted(c_values):
            self.C = float(c)
            weights, self.info_ = fit_ovr_squared_hinge(design, targets, self.C, warm_start=weights, tol=self.tol)
            self.weights_ = rotation @ weights
            yield self.C, self

    def fit(self, x, labels):
        for _ in self.fit_path(x, labels, [self.C]):
            pass
        return self

    def decision_function(self, x):
        return self.design(x) @ self.weights_

    def predict(self, x):
        return self.classes_[np.argmax(self.decision_function(x), axis=1)]
