"""The embedded default: a deterministic synthetic NetMob dataset in the real file formats,
calibrated to the study's released aggregates (reference/study_release)."""
