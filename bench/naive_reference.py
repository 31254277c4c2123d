"""The reference notebook's code path, transcribed naively, as the peer that the
multiplicative-update solver is timed against.

Every iteration forms the full n×m product W·H twice (once in W's denominator,
once for the loss) and sums the squared residual with Python's built-in
``sum`` over the flattened matrix — what a straightforward from-scratch
implementation does. Same arithmetic as ``factorize(..., solver="mu")``.
"""



def naive_mu(V, W, H, iterations):
    """Run ``iterations`` Lee–Seung steps (H, then W) from copies of W and H.

    Returns W, H and the list of squared-Frobenius losses after each step.
    """
    W, H = W.copy(), H.copy()
    losses = []
    for _ in range(iterations):
        H = H * (W.T.dot(V) / (W.T.dot(W).dot(H) + 1e-10))
        W = W * (V.dot(H.T) / (W.dot(H).dot(H.T) + 1e-10))
        losses.append(sum((V - W.dot(H)).flatten() ** 2))
    return W, H, losses
