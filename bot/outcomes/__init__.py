"""Does it work? A randomised holdout and the estimate of what introductions do to attendance."""
