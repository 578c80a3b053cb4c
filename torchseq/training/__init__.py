"""Training: compile, fit, evaluate and predict, and the pieces they use."""
