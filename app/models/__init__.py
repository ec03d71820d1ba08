"""Local model runtime: checkpoint catalog and manager, device choice, detectors, CVAT auto-annotation.

Qt-free. torch, torchvision, ultralytics and sam2 are imported lazily inside functions, so importing
any ``app.models`` module never loads them.
"""
