"""The staff workflow: every action validates, appends one signed entry and says what changed."""
