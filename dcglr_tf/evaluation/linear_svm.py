"""A one-vs-rest linear SVM (squared hinge, L2) solved for many problems at once with matrix operations.

It minimises, for every column k of a (n, K) target matrix with y_ik = +1 (class), -1 (other classes) or 0 (row i
is not part of problem k), the objective of scikit-learn's `LinearSVC(dual=False)` (liblinear's primal
L2-regularised L2-loss SVM, intercept as an extra feature of value 1 that is regularised like the weights):

    f_k(w) = 0.5 |w|^2 + C_k sum_{i: y_ik != 0} max(0, 1 - y_ik w.x_i)^2

by truncated Newton steps (conjugate gradient on the generalised Hessian I + 2C X_A^T X_A, X_A the rows inside
the margin, preconditioned by its diagonal) with an exact line search (Keerthi and DeCoste's finite Newton method
for the L2-SVM), for the K columns at once as one (d, K) weight matrix, so every step is a few dense
(n, d) x (d, K) products that use all cores (liblinear solves one class after the other, single-threaded).
The columns can be the classes of one training set or of many: the CV folds of several seeds are rows of the same
matrix with a 0 target where a row is not in a fold's training part, so all their fits share each product.
A column stops when its gradient norm falls below `tol` times its norm at w = 0. `warm_start` starts from a
previous solution (the C path of a cross-validation: each C starts from the last one's weights).
"""

import numpy as np

CG_FORCING = 0.3  # an inner CG solve stops when its residual is below this fraction of the gradient norm


def gram_eigenbasis(x):
    """Eigenvectors (d, d), as columns, of the Gram matrix x^T x of x (n, d): the solver's coordinates."""
    x = np.asarray(x, np.float32)
    return np.linalg.eigh(x.T @ x)[1].astype(np.float32)


def _conjugate_gradient(x, x_squared, active, gradient, C, max_iter):
    """Approximately solve (I + 2 C_k X^T diag(active_k) X) s_k = -g_k for every column k. (d, K) -> (d, K).

    C: (K,). Preconditioner: each column's Hessian diagonal 1 + 2 C_k sum_i active_ik x_ij^2 (x_squared = x^2), a
    good one when x is expressed in the eigenbasis of its Gram matrix (as `LinearSVM` does)."""
    scale = 1.0 / (1.0 + 2.0 * C * (x_squared.T @ active))  # (d, K)
    step = np.zeros_like(gradient)
    residual = -gradient
    z = scale * residual
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
        hd = d + 2.0 * C[cols] * (x.T @ (active[:, cols] * (x @ d)))
        alpha = rz[cols] / np.maximum(np.sum(d * hd, axis=0), 1e-30)
        step[:, cols] += alpha * d
        residual[:, cols] -= alpha * hd
        z_cols = scale[:, cols] * residual[:, cols]
        rz_new = np.sum(residual[:, cols] * z_cols, axis=0)
        direction[:, cols] = z_cols + (rz_new / np.maximum(rz[cols], 1e-30)) * d
        rz[cols] = rz_new
    return step, iterations


def _exact_step(margin, change, w_dot_s, s_dot_s, C, iterations=30):
    """Per column, the step size t > 0 minimising the objective along the step: a convex piecewise quadratic
    phi(t) = 0.5 |w + t s|^2 + C sum_i max(0, margin_i - t change_i)^2, change = y * (x s) (0 on rows outside the
    problem). Safeguarded Newton on phi'(t) = 0 (phi' is increasing; the bracket [low, high] keeps every iterate
    inside); columns leave the iteration as they converge."""
    size = np.ones(margin.shape[1], np.float32)
    low = np.zeros_like(size)
    high = np.full_like(size, np.inf)
    cols = np.arange(len(size))
    for _ in range(iterations):
        m, c, t = margin[:, cols], change[:, cols], size[cols]
        inside = np.maximum(m - t * c, 0.0)
        slope = w_dot_s[cols] + t * s_dot_s[cols] - 2.0 * C[cols] * np.sum(c * inside, axis=0)
        curvature = s_dot_s[cols] + 2.0 * C[cols] * np.sum(np.square(c) * (inside > 0), axis=0)
        low[cols] = np.where(slope < 0, t, low[cols])
        high[cols] = np.where(slope > 0, t, high[cols])
        newton = t - slope / np.maximum(curvature, 1e-30)
        middle = np.where(np.isinf(high[cols]), 2.0 * t, 0.5 * (low[cols] + high[cols]))
        new = np.where((newton > low[cols]) & (newton < high[cols]), newton, middle)
        size[cols] = new
        cols = cols[np.abs(new - t) > 1e-4 * t]
        if not len(cols):
            break
    return size


def fit_ovr_squared_hinge(x, targets, C, *, warm_start=None, tol=1e-4, max_newton=100, max_cg=200):
    """Weights (d, K) of K squared-hinge SVMs on the rows of x.

    x: (n, d) float32 features (append a column of ones for an intercept); targets: (n, K) of +1 / -1, or 0 where
    a row is not part of column k's problem; C > 0: a scalar or one value per column (K,).
    Returns (weights (d, K) float32, info {"newton_steps", "cg_steps"})."""
    x = np.asarray(x, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    n, dim = x.shape
    columns = targets.shape[1]
    C = np.broadcast_to(np.asarray(C, np.float32), (columns,)).copy()
    weights = np.zeros((dim, columns), np.float32) if warm_start is None else np.array(warm_start, np.float32)
    x_squared = np.square(x)
    cg_steps = 0
    initial_norm = np.linalg.norm(2.0 * C * (x.T @ targets), axis=0)  # gradient norm at w = 0
    scores = x @ weights
    todo = np.arange(columns)
    steps = 0
    for steps in range(1, max_newton + 1):
        y, c = targets[:, todo], C[todo]
        margin = 1.0 - y * scores[:, todo]
        active = np.where(margin > 0, np.square(y), 0.0)  # rows of the problem inside the margin
        w = weights[:, todo]
        gradient = w - 2.0 * c * (x.T @ (y * margin * active))
        unfinished = np.linalg.norm(gradient, axis=0) > tol * initial_norm[todo]
        todo, y, c, margin, active, w, gradient = (todo[unfinished], y[:, unfinished], c[unfinished],
                                                   margin[:, unfinished], active[:, unfinished], w[:, unfinished],
                                                   gradient[:, unfinished])
        if not len(todo):
            break
        rows = np.flatnonzero(active.any(axis=1))  # rows inside no column's margin add nothing to the Hessian
        if len(rows) > 0.7 * n:
            step, iterations = _conjugate_gradient(x, x_squared, active, gradient, c, max_cg)
        else:
            step, iterations = _conjugate_gradient(x[rows], x_squared[rows], active[rows], gradient, c, max_cg)
        cg_steps += iterations
        step_scores = x @ step
        size = _exact_step(margin, y * step_scores, np.sum(w * step, axis=0), np.sum(step * step, axis=0), c)
        weights[:, todo] = w + size * step
        scores[:, todo] += size * step_scores
    return weights, {"newton_steps": steps, "cg_steps": cg_steps}


class LinearSVM:
    """Standardise (train mean / std, as `StandardScaler`) + one-vs-rest squared-hinge linear SVM with an intercept.

    fit(x (n, D), labels (n,)) learns one weight column per class present in `labels`; predict(x) -> labels (argmax
    of the decision values, as LinearSVC). `fit_path` fits several C in increasing order with warm starts.
    The solver works in orthonormal coordinates of the standardised design (`fit_coordinates`), which give the
    same solution: the eigenbasis of its Gram matrix, where each class's Hessian diagonal is a good
    preconditioner, or with fewer examples than dimensions (n < D + 1) the n-dimensional coordinates of the
    examples' span (thin SVD), where the optimal weights lie.
    """

    def __init__(self, C=1.0, tol=1e-4):
        self.C = float(C)
        self.tol = float(tol)

    def design(self, x, fit_scaler=False):
        """(n, D) -> standardised (n, D + 1) with a column of ones (the intercept); `fit_scaler` sets mean / std."""
        x = np.asarray(x, np.float32)
        if fit_scaler:
            self.mean_ = x.mean(axis=0)
            scale = x.std(axis=0)
            self.scale_ = np.where(scale > 0, scale, 1.0).astype(np.float32)  # constant features stay 0, as sklearn
        return np.concatenate([(x - self.mean_) / self.scale_, np.ones((len(x), 1), np.float32)], axis=1)

    def fit_coordinates(self, x):
        """Fit the scaler on x (n, D) -> (coordinates (n, r), rotation (D + 1, r)) of the standardised design
        (= coordinates @ rotation.T, orthonormal rotation columns); weights w in these coordinates are
        rotation @ w in the design's."""
        design = self.design(x, fit_scaler=True)
        if len(design) < design.shape[1]:
            u, s, rotation = np.linalg.svd(design, full_matrices=False)
            return u * s, rotation.T
        rotation = gram_eigenbasis(design)
        return design @ rotation, rotation

    def one_vs_rest(self, labels):
        """(n,) labels -> (n, K) targets of +1 / -1 over the classes of `labels` (sets `classes_`)."""
        self.classes_ = np.unique(labels)
        return np.where(np.asarray(labels)[:, None] == self.classes_[None, :], 1.0, -1.0).astype(np.float32)

    def set_weights(self, rotation, weights, C):
        """Adopt `weights` (r, K) in the coordinates of `fit_coordinates` (its `rotation`), fitted with `C`."""
        self.weights_ = rotation @ weights
        self.C = float(C)
        return self

    def fit_path(self, x, labels, c_values):
        """Yield (C, self) for each C of `c_values` (ascending), each fit warm-started from the previous one."""
        coordinates, rotation = self.fit_coordinates(x)
        targets = self.one_vs_rest(labels)
        weights = None
        for c in sorted(c_values):
            weights, self.info_ = fit_ovr_squared_hinge(coordinates, targets, c, warm_start=weights, tol=self.tol)
            yield float(c), self.set_weights(rotation, weights, c)

    def fit(self, x, labels):
        for _ in self.fit_path(x, labels, [self.C]):
            pass
        return self

    def decision_function(self, x):
        return self.design(x) @ self.weights_

    def predict(self, x):
        return self.classes_[np.argmax(self.decision_function(x), axis=1)]
