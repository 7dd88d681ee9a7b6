"""Records: to be filled."""
COMPONENTS = []
