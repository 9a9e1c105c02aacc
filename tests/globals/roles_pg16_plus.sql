-- Membership options (16+).
GRANT replicator TO bob WITH INHERIT FALSE, SET FALSE;
GRANT app_owner TO amy WITH ADMIN TRUE, INHERIT TRUE, SET FALSE;
