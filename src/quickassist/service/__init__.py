"""quickassist.service."""
