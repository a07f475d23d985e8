"""The web console where staff (CDEs, admins, viewers) work: sign-in and its sessions, the
staff dependency of every page, the HTML error pages, and the pages themselves, each calling
the same domain services and permission checks as the API."""
