"""Per-frame signals made ready for measuring: gaps, smoothing, body units, the torso frame, noise floors.

Below both analysis.metrics and analysis.gestures, which read the tracks the same way.
"""
