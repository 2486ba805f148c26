"""Flourish: the shared tool of the Rotherham social prescribing mental health service."""
