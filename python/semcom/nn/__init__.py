"""PyTorch side of gr-semcom: the paper's networks (every forward scriptable) and the channel twin."""
