"""SAM 3 (Meta, Nov 2025) through Hugging Face ``transformers``: checkpoint import and checks, text
prompts, and the concept detector. See docs/models.md, section "SAM 3"."""
