"""Text for people: the one safe-text boundary, secret scrubbing, figures and durations."""
