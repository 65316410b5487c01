"""The web console at /console: the same platform as the GraphQL API, for the people who are not
developers. Server-rendered pages, one stylesheet of its own, nothing fetched from elsewhere."""
