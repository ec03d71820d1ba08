"""AI tools: the AI tools panel, the Detectors tab, automatic annotation, label matching, model list."""
