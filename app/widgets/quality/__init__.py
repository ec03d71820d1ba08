"""Quality control widgets: the annotation window's quality side panel, the settings dialog and the
consensus agreement view."""

from app.widgets.quality.consensus_view import ConsensusAgreementView
from app.widgets.quality.panel import QualityPanel
from app.widgets.quality.settings_dialog import QualitySettingsDialog

__all__ = ["ConsensusAgreementView", "QualityPanel", "QualitySettingsDialog"]
