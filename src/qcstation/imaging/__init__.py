"""Camera sources, frames, and the synthetic scenes used for demos and tests."""
