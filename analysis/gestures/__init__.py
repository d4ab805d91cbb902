"""Praxis and gesture analysis: keypoint normalisation, gesture segmentation, DTW scoring against
reference performances, and a small trainable TCN gesture classifier (torch).

Modules: normalise, segmentation, dtw, scoring, synthetic, dataset, model, train, evaluate; the
command line is `python -m analysis.gestures {synth,train,evaluate}` (see analysis/docs/gestures.md).
Importing this package does not import torch; model, train and evaluate do.
"""
