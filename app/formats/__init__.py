"""Dataset formats: CVAT for images/video 1.1 XML, COCO 1.0 and Ultralytics YOLO. Qt-free.

Readers turn a file into a :class:`app.formats.dataset.Dataset` (labels with their own ids, frames,
annotations); :mod:`app.formats.importer` maps a dataset into a project, :mod:`app.formats.exporter`
builds a dataset from a project and hands it to a writer.
"""
