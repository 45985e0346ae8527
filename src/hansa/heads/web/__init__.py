"""Server-rendered web heads (Jinja2): the minimal storefront page."""
