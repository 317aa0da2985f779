"""hubload package."""
