"""The shared core every domain stands on: settings, the database, sign-in and roles, the audit
log, CSRF, forms, errors and the web helpers. It imports no domain package (directory,
matching, referrals, grants); the application package `flourish` puts them together."""
