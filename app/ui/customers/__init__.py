"""The customer book (顾客簿): list, search and filters, the profile, follow-ups."""
