"""quickassist: self-hostable remote support over a TLS relay."""

__version__ = "0.1.0"
