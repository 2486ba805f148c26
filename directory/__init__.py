"""The consortium's organisations, venues, activities and weekly sessions."""
