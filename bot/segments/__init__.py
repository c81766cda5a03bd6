"""Segments: what citizens declare (vocabulary in content/segments.yaml), their stored
choices, and which friends a segment reaches."""
