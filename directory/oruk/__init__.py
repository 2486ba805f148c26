"""Open Referral UK (ORUK v3): Flourish's directory served as an ORUK feed at /oruk, and ORUK
feeds read into the directory.

`taxonomy` names the published Flourish taxonomy; `mapping` turns directory rows into ORUK
objects; `feed` reads the database and pages the results; `reading` turns a received ORUK
service into clean values (noting every problem); `sources` fetches and parses feeds; `importer`
writes them in one transaction and reports what happened.
"""
