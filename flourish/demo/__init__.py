"""Demonstration data that is made rather than read: the grant history played from
seeds/drawdowns.yaml, and a year of referrals through the pathway. Both go through the
domains' own services, so what they write is what real use would have written."""
