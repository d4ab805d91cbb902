"""Errors of the analysis library that a person reads: each message says what happened and what
to do. Callers (the CLI, workers/) catch AnalysisError and show str(error) as it is."""

from __future__ import annotations


class AnalysisError(Exception):
    """Base class of every error raised on purpose by analysis/."""


class AnalysisCancelled(AnalysisError):
    """The caller's should_continue() returned False; nothing was written."""


class VideoError(AnalysisError):
    """The file cannot be analysed as a video."""


class NotAVideoError(VideoError):
    """The file is empty, not a media file at all, or a still image."""


class NoVideoStreamError(VideoError):
    """The file is a media container without pictures (for example an audio recording)."""


class TruncatedVideoError(VideoError):
    """The file ends before its container says it should (an interrupted upload or copy)."""


class CorruptVideoError(VideoError):
    """The container is readable but its pictures cannot be decoded."""
