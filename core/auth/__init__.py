"""Who people are, what their role lets them do, and how they sign in."""
