"""quickassist.protocol."""
