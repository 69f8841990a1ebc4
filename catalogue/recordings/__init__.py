"""Recordings: hydrophone audio (WAV, FLAC) and observatory video, catalogued with
the images derived from them.

A recording's file stays downloadable as it came; the images a set's reviewers and
models work on are derived at ingest and tie back to it: spectrogram segments of
audio (spectrograms.py, with their time and frequency axes) and frames of video
(frames.py, with their video time). Sniffed from content and held to limits
(limits.py) before anything is decoded; a recording and its derived images are
written together or not at all (services.py).
"""
