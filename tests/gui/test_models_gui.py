"""Models in the GUI: the Models list shows every checkpoint (SAM ones too) and follows the models
folder; the tabs update when a checkpoint is added; the threshold field keeps typed values."""

from __future__ import annotations

import builtins
import pickle
from pathlib import Path

import pytest

from app.models.manager import ModelManager
from app.models.registry import Registry
from app.tools.ai_options import InteractorOptions
from app.widgets.ai.auto_annotation_dialog import AutoAnnotationDialog
from app.widgets.ai.detectors_tab import DetectorsTab
from app.widgets.ai.interactors_tab import InteractorsTab
from app.widgets.ai.models_dialog import ModelsDialog
from app.widgets.ai.threshold_field import ThresholdField
from tests.unit.models_fixtures import make_project

pytestmark = pytest.mark.gui


class _WritesFile:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",)


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelManager:
    """The default models folder (every ModelManager() of the app) moved into tmp_path."""
    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    return ModelManager()


def _checkpoint(path: Path) -> Path:
    path.write_bytes(pickle.dumps({"model": {}}, protocol=2))
    return path


def test_sam_checkpoint_appears_and_the_interactors_tab_updates(qtbot, tmp_path: Path, models: ModelManager) -> None:
    tab = InteractorsTab(InteractorOptions())
    qtbot.addWidget(tab)
    assert tab.current_choice().key == "sam2:sam2.1-tiny" and "not installed" in tab.message.text()
    dialog = ModelsDialog(Registry(tmp_path / "models.json"), ModelManager(models.root))
    other = ModelsDialog(Registry(tmp_path / "models.json"), ModelManager(models.root))
    qtbot.addWidget(dialog)
    qtbot.addWidget(other)
    dialog.add_checkpoint(str(_checkpoint(tmp_path / "sam2.1_hiera_tiny.pt")))
    assert "sam2.1-tiny" in dialog.titles()
    row = dialog.entries[dialog.titles().index("sam2.1-tiny")]
    assert row.role.startswith("SAM 2")
    qtbot.waitUntil(lambda: "sam2.1-tiny" in other.titles(), timeout=5000)  # told through models_changed
    qtbot.waitUntil(lambda: tab.message.text() == "", timeout=5000)
    assert tab.options.interactor is not None and tab.options.interactor.check() is None
    other.select("sam2.1-tiny")
    other.remove_selected(confirm=False)
    qtbot.waitUntil(lambda: "sam2.1-tiny" not in dialog.titles(), timeout=5000)
    qtbot.waitUntil(lambda: "not installed" in tab.message.text(), timeout=5000)


def test_detectors_tab_follows_the_models_folder(qtbot, tmp_path: Path, models: ModelManager) -> None:
    tab = DetectorsTab(registry=Registry(tmp_path / "models.json"), manager=ModelManager(models.root))
    qtbot.addWidget(tab)
    assert tab.model_combo.count() == 0
    models.add(_checkpoint(tmp_path / "shop.pt"))
    qtbot.waitUntil(lambda: tab.model_combo.count() == 1, timeout=5000)
    assert tab.model_combo.currentText() == "shop.pt"


def test_hugging_face_add_and_trust_prompts(qtbot, tmp_path: Path, models: ModelManager) -> None:
    dialog = ModelsDialog(Registry(tmp_path / "models.json"), ModelManager(models.root))
    qtbot.addWidget(dialog)
    dialog.add_hf_checkpoint(str(_checkpoint(tmp_path / "w.pt")), "org/detector", trust=None)
    assert "org/detector" in dialog.titles() and "find it offline" in dialog.info.text()
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"model": _WritesFile(marker)}, protocol=2))
    dialog.add_checkpoint(str(evil), trust=False)
    assert "refused until trusted" in dialog.info.text()
    dialog.add_hf_checkpoint(str(evil), "org/evil", trust=False)
    assert "org/evil" not in dialog.titles()
    evil2 = tmp_path / "evil2.pt"
    evil2.write_bytes(evil.read_bytes() + b"\0")
    dialog.add_checkpoint(str(evil2), trust=True)
    assert "trusted" in dialog.info.text()
    ModelManager(models.root).ensure_safe(models.root / "evil2.pt")
    assert not marker.exists()


def test_threshold_field_keeps_small_values_and_shows_the_value_used(qtbot) -> None:
    field = ThresholdField()
    qtbot.addWidget(field)
    assert field.value() is None and field.used_text() == "used: model default"
    field.default_box.setChecked(False)
    field.spin.lineEdit().selectAll()
    qtbot.keyClicks(field.spin, "0.0001")  # the fourth decimal is refused while typing: 0.000, not the default
    field.spin.interpretText()
    assert field.spin.text() == "0.000" and field.value() == 0.0 and field.used_text() == "used: 0.000"
    field.spin.lineEdit().selectAll()
    qtbot.keyClicks(field.spin, "0.005")
    field.spin.interpretText()
    assert field.value() == 0.005 and field.used_text() == "used: 0.005"
    field.set_value(1.0)
    assert field.value() == 1.0
    field.set_value(None)
    assert field.value() is None and not field.spin.isEnabled()


def test_dialog_passes_the_threshold_used(qtbot, tmp_path: Path, models: ModelManager) -> None:
    project = make_project(tmp_path, frames=1)
    dialog = AutoAnnotationDialog(project, project.tasks()[0].id, registry=Registry(tmp_path / "models.json"),
                                  manager=ModelManager(models.root))
    qtbot.addWidget(dialog)
    assert dialog.options().conf_threshold is None
    dialog.threshold.set_value(0.001)
    assert dialog.options().conf_threshold == 0.001
    dialog.threshold.set_value(0.0)
    assert dialog.options().conf_threshold == 0.0
