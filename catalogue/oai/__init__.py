"""OAI-PMH 2.0 data provider (https://www.openarchives.org/OAI/openarchivesprotocol.html)."""
