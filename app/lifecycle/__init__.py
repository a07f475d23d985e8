"""What happens to a person's data across domains when their record changes or goes: above
alerts and commands, so that the domains below never import the ones above them."""
