"""The sandbox's Salesforce face: OAuth, REST describe and Bulk API 2.0 at the instance root.

Its org is the `helpdesk` hub: the same records, checks and job workers as the Open
Connectors face, spoken to the way Salesforce speaks.
"""
