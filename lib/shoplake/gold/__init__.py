"""Gold: the aggregates every model and analysis starts from (daily item sales, user-item
interactions, user features, daily funnel), rebuilt from silver."""
