"""quickassist.sharer."""
