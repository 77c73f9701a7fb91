"""Training jobs: the state machine, the per-job runner and the reconciler that drives them."""
