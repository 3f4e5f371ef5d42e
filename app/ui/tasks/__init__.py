"""The Tasks page (任务): the guide's Today and, for a store manager, the team view."""
