"""The one policy model: controls, citations, retention law and the judges shared by every face."""
