"""The public directory's pages, the coordinators' pages for their own listings, and calendar feeds."""
