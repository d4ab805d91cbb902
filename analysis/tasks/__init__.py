"""Semi-guided daily-living tasks (memory clinics): task segments, per-task metrics and a trainable
temporal task segmenter (MS-TCN style) over per-frame pose features.

Modules: segments (TaskSegment, validation), task_metrics (per-task metrics of a session),
features, synth, model, evaluation, segmenter; the command line is
`python -m analysis.tasks {synth,train,evaluate}`. Importing this package does not import torch;
model and segmenter do.
"""
