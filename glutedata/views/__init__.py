"""Views: charts, widgets and tables of query results."""
