"""What happens to a person's data across domains when their record changes or goes, and when
it has been kept long enough: above alerts and commands, so that the domains below never import
the ones above them."""
