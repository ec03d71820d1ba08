"""Trackers (Qt-free): OpenCV TrackerMIL, SAM 2 with bounded memory, CVAT tracking functions, the runner.

See docs/trackers.md. Model libraries are imported lazily, so importing this package is cheap.
"""
