"""Settings: flags > environment > config file > defaults, checked, and printed back."""
