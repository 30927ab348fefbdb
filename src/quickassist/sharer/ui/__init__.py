"""The sharer's two faces: the Qt window (qt_app) and the terminal fallback (terminal)."""
