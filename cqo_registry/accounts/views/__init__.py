"""The account pages: notifications, sign-in and passwords, second factor, the bureau's
account security page, an enterprise's own accounts, and the 429 page."""
