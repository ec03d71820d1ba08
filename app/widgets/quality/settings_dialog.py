"""Edit every quality setting (CVAT's names, defaults and ranges), for the project or a task."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.quality.settings import POINT_SIZE_BASES, TARGET_METRICS, QualitySettings, SettingsError

UNIT = {
    "iou_threshold": "Minimum overlap (IoU / OKS / line similarity) for two objects to match",
    "low_overlap_threshold": "Matched pairs below this get a low-overlap warning",
    "oks_sigma": "OKS sigma for points and skeletons",
    "line_thickness": "Polyline tolerance, relative to the image diagonal scale",
    "line_orientation_threshold": "Similarity gain of the reversed line that counts as reversed",
    "group_match_threshold": "Minimal Jaccard index for two groups to correspond",
    "object_visibility_threshold": "Visible share below which a job object is 'covered'",
    "target_metric_threshold": "Automatic acceptance when the target metric reaches this",
}
FLAGS = {
    "compare_line_orientation": "Report reversed polylines",
    "compare_groups": "Report group differences",
    "check_covered_annotations": "Report job objects covered by others",
    "panoptic_comparison": "Compare only visible parts of polygons and masks",
    "compare_attributes": "Report attribute differences",
    "empty_is_annotated": "Count empty frames as annotated with 'nothing'",
}


class QualitySettingsDialog(QDialog):
    """``QualitySettingsDialog(settings, task_scope=True).exec()`` then :meth:`settings`."""

    def __init__(self, settings: QualitySettings | None = None, *, task_scope: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quality settings")
        settings = settings or QualitySettings()
        self.task_scope = task_scope
        form = QFormLayout()
        self.inherit = QCheckBox("Use the project's settings")
        self.inherit.setChecked(settings.inherit)
        self.inherit.setVisible(task_scope)
        if task_scope:
            form.addRow(self.inherit)
        self.numbers: dict[str, QDoubleSpinBox] = {}
        for name, tip in UNIT.items():
            box = QDoubleSpinBox()
            box.setRange(0.0, 1.0)
            box.setDecimals(3)
            box.setSingleStep(0.01)
            box.setValue(float(getattr(settings, name)))
            box.setToolTip(tip)
            box.setObjectName(name)
            self.numbers[name] = box
            form.addRow(name.replace("_", " ").capitalize(), box)
        self.flags: dict[str, QCheckBox] = {}
        for name, text in FLAGS.items():
            check = QCheckBox(text)
            check.setChecked(bool(getattr(settings, name)))
            check.setObjectName(name)
            self.flags[name] = check
            form.addRow(check)
        self.point_size_base = QComboBox()
        self.point_size_base.addItems(POINT_SIZE_BASES)
        self.point_size_base.setCurrentText(settings.point_size_base)
        form.addRow("Point size base", self.point_size_base)
        self.target_metric = QComboBox()
        self.target_metric.addItems(TARGET_METRICS)
        self.target_metric.setCurrentText(settings.target_metric)
        form.addRow("Target metric", self.target_metric)
        self.max_validations = QSpinBox()
        self.max_validations.setRange(0, 100)
        self.max_validations.setValue(settings.max_validations_per_job)
        form.addRow("Max validations per job", self.max_validations)
        self.job_filter = QLineEdit(settings.job_filter)
        self.job_filter.setToolTip('JSON-Logic over id, type, state, stage, assignee, task_id, task_name')
        form.addRow("Job filter", self.job_filter)
        self.ignored = QLineEdit(", ".join(settings.ignored_attributes))
        form.addRow("Ignored attributes", self.ignored)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.inherit.toggled.connect(self._sync_enabled)
        self._sync_enabled()

    def _sync_enabled(self) -> None:
        own = not self.task_scope or not self.inherit.isChecked()
        for widget in (*self.numbers.values(), *self.flags.values(), self.point_size_base, self.target_metric,
                       self.max_validations, self.job_filter, self.ignored):
            widget.setEnabled(own)

    def restore_defaults(self) -> None:
        defaults = QualitySettings()
        for name, box in self.numbers.items():
            box.setValue(float(getattr(defaults, name)))
        for name, check in self.flags.items():
            check.setChecked(bool(getattr(defaults, name)))
        self.point_size_base.setCurrentText(defaults.point_size_base)
        self.target_metric.setCurrentText(defaults.target_metric)
        self.max_validations.setValue(defaults.max_validations_per_job)
        self.job_filter.setText(defaults.job_filter)
        self.ignored.setText("")

    def settings(self) -> QualitySettings:
        """The edited settings, validated (raises SettingsError)."""
        values = {name: box.value() for name, box in self.numbers.items()}
        values.update({name: check.isChecked() for name, check in self.flags.items()})
        values.update(
            point_size_base=self.point_size_base.currentText(),
            target_metric=self.target_metric.currentText(),
            max_validations_per_job=self.max_validations.value(),
            job_filter=self.job_filter.text(),
            ignored_attributes=[a.strip() for a in self.ignored.text().split(",") if a.strip()],
            inherit=self.inherit.isChecked(),
        )
        return QualitySettings.from_dict(values)

    def _accept(self) -> None:
        try:
            self.settings()
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
